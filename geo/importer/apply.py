"""Write records to the database: COPY into staging tables, set-based SQL (import_apply.sql) to merge
services and locations, then COPY of their details straight into their tables; and remove a
source's records. With geo/edits/ (one record's patches), the only writer of the directory tables."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import shapely
from psycopg import sql

from geo.db import Connection, copy_rows, query
from geo.gazetteer import zip_timezone
from geo.ids import child_id, record_id
from geo.importer.records import Record
from geo.languages import normalised_row
from geo.overlay import counties_of_points
from geo.taxonomy import term_id

# A progress hook: start(phase description, total) returns advance(n).
Progress = Callable[[str, int], Callable[[int], None]]


def no_progress(_description: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


_term_id = functools.cache(term_id)


# The details' tables and the columns the tuples built below fill.
_DETAILS = {
    "phone": ["id", "service_id", "number", "extension", "type"],
    "schedule": ["id", "service_id", "service_at_location_id", "freq", "byday", "bymonthday", "opens_at",
                 "closes_at", "tz_name", "valid_from", "valid_to", "description"],
    "language": ["id", "service_id", "code", "name"],
    "attribute": ["id", "link_id", "taxonomy_term_id", "link_entity", "label"],
    "service_stage": ["service_id", "stage_code"],
    "cost_option": ["id", "service_id", "option"],
}


def existing_hashes(conn: Connection, source: str, source_ids: list[str]) -> dict[str, str | None]:
    rows = conn.execute(
        "SELECT source_id, import_hash FROM service WHERE source = %s AND source_id = ANY(%s)",
        [source, source_ids],
    ).fetchall()
    return {r["source_id"]: r["import_hash"] for r in rows}


_OUR_IDS = """
SELECT 'service' AS kind, id, source_id FROM service WHERE source = %(source)s AND id = ANY(%(ids)s)
UNION ALL SELECT 'organization', id, source_id FROM organization WHERE source = %(source)s AND id = ANY(%(ids)s)
UNION ALL SELECT 'location', id, source_id FROM location WHERE source = %(source)s AND id = ANY(%(ids)s)
UNION ALL SELECT 'service_area', a.id, a.source_id FROM service_area a JOIN service s ON s.id = a.service_id
          WHERE s.source = %(source)s AND a.id = ANY(%(ids)s)
"""


def recognise_our_ids(conn: Connection, source: str, records: list[Record]) -> None:
    """A file that names records by the ids we gave them (an HSDS export of this source, whose ids
    are ours, geo.importer.hsds_export) is about the source's own records: back to their own ids."""
    given = {i for r in records for i in (r.source_id, r.organization_id, *(p.source_id for p in r.places),
                                            *(a.source_id for a in r.areas))}
    rows = conn.execute(_OUR_IDS, {"source": source, "ids": sorted(given)}).fetchall()
    own = {(row["kind"], row["id"]): row["source_id"] for row in rows if row["source_id"]}
    if not own:
        return
    for r in records:
        r.source_id = own.get(("service", r.source_id), r.source_id)
        r.organization_id = own.get(("organization", r.organization_id), r.organization_id)
        for p in r.places:
            p.source_id = own.get(("location", p.source_id), p.source_id)
        for a in r.areas:
            a.source_id = own.get(("service_area", a.source_id), a.source_id)


def _steps() -> list[str]:
    """import_apply.sql, one statement per `-- step:` marker."""
    parts = re.split(r"^-- step: .*$", query("import_apply"), flags=re.MULTILINE)
    return [p.strip() for p in parts[1:] if p.strip()]


def write_records(conn: Connection, source: str, run_id: int, records: list[Record],
                  progress: Progress = no_progress, *, is_sample: bool = False) -> None:
    """Insert or update the given (new or changed) records and everything hanging off them: the one
    writer of whole records (imports and the sample loader). `is_sample` labels every row written."""
    steps = _steps()
    advance = progress("Writing tables", 1 + len(steps) + len(_DETAILS))  # staging, steps, details
    conn.execute(query("import_stage_tables"))
    # A write this big rebuilds every derived copy once at the end (geo/copies.py): say so now, so
    # the triggers of the statements below skip their per-row bookkeeping.
    conn.execute("SELECT directory_note_bulk(%s)", [len(records)])
    services: list[tuple] = []
    locations: list[tuple] = []
    phones: list[tuple] = []
    schedules: list[tuple] = []
    languages: list[tuple] = []
    attributes: list[tuple] = []
    stages: list[tuple] = []
    costs: list[tuple] = []
    areas: list[tuple] = []
    located: list[int] = []  # indexes into `locations` of rows with a point
    for r in records:
        sid = record_id(source, "service", r.source_id)
        org = record_id(source, "organization", r.organization_id)
        services.append((sid, r.source_id, r.fingerprint(), org, r.organization_id, r.organization, r.name,
                         r.description, r.url, r.email, r.capacity, r.confidential, r.status,
                         r.minimum_age, r.maximum_age, r.assured_date, r.assurer_email))
        tz = None
        sal_of: dict[str, str] = {}  # each place's service at a location, by the place's source id
        for p in r.places:
            if p.has_point:
                located.append(len(locations))
            loc = record_id(source, "location", p.source_id)
            tz = tz or p.tz_name or zip_timezone(p.postal_code)
            sal_of[p.source_id] = record_id(source, "sal", f"{r.source_id}\x1f{p.source_id}")
            locations.append((loc, sid, p.source_id, sal_of[p.source_id],
                              p.name, p.latitude, p.longitude, p.precision, p.geocode_source, p.confidential,
                              record_id(source, "address", p.source_id), p.address_1, p.city, p.state,
                              p.postal_code, None))
        for i, ph in enumerate(r.phones):
            phones.append((child_id(sid, "phone", i), sid, ph.number, ph.extension, ph.type))
        for i, h in enumerate(r.hours):  # hours for one location hang off that service at a location
            sal = sal_of.get(h.site) if h.site else None
            schedules.append((child_id(sid, "schedule", i), sid, sal, h.freq, h.byday, h.bymonthday, h.opens_at,
                              h.closes_at, tz, h.valid_from, h.valid_to, h.description))
        for i, lang in enumerate(r.languages):  # ISO 639 codes (a restored row may hold a name only)
            languages.append((child_id(sid, "language", i), sid, *normalised_row(lang, None)))
        for i, code in enumerate(r.categories):
            attributes.append((child_id(sid, "category", i), sid, _term_id(code), "service", "category"))
        stages.extend((sid, s) for s in r.stages)
        costs.extend((child_id(sid, "cost", i), sid, option) for i, option in enumerate(r.costs))
        for i, a in enumerate(r.areas):
            geom = shapely.from_geojson(a.extent) if a.extent else None
            area_id = a.source_id or f"{r.source_id}#{i}"
            areas.append((record_id(source, "service_area", area_id), sid, area_id, a.name, a.description,
                          a.extent, a.extent_type, shapely.to_wkb(geom) if geom is not None else None))
    counties = counties_of_points(conn, [locations[i][6] for i in located], [locations[i][5] for i in located])
    for i, county in zip(located, counties, strict=True):
        locations[i] = (*locations[i][:-1], county)
    copy_rows(conn, "import_service", ["service_id", "source_id", "import_hash", "organization_id",
                                       "org_source_id", "org_name", "name", "description", "url", "email",
                                       "capacity", "confidential", "status", "minimum_age", "maximum_age",
                                       "assured_date", "assurer_email"],
              services)
    copy_rows(conn, "import_location", ["location_id", "service_id", "source_id", "sal_id", "name",
                                        "latitude", "longitude", "precision", "geocode_source",
                                        "confidential", "address_id", "address_1", "city", "state",
                                        "postal_code", "county_fips"], locations)
    copy_rows(conn, "import_area", ["id", "service_id", "source_id", "name", "description", "extent", "extent_type", "wkb"],
              areas)
    conn.execute("ANALYZE import_service; ANALYZE import_location")
    advance(1)
    for statement in steps:
        conn.execute(statement, {"source": source, "run_id": run_id, "is_sample": is_sample})
        advance(1)
    # The details: new rows of services that now exist, so straight into their tables.
    details = {"phone": phones, "schedule": schedules, "language": languages, "attribute": attributes,
               "service_stage": stages, "cost_option": costs}
    for table, columns in _DETAILS.items():
        copy_rows(conn, table, columns, details[table])
        advance(1)


def remove_source(conn: Connection, source: str) -> int:
    """Delete every record of one source (its services, locations and organizations, and through
    their cascades everything hanging off them): the writer's other half, used to take the sample
    out. The derived copies follow in the same transaction, like any write (geo/copies.py).
    Returns the number of services removed."""
    count = conn.execute("SELECT count(*) AS n FROM service WHERE source = %s", [source]).fetchone()
    removed = count["n"] if count is not None else 0
    conn.execute("SELECT directory_note_bulk(%s)", [removed])  # as write_records does
    # attribute links records by id without a foreign key (HSDS links any entity): clear it first.
    conn.execute(
        """DELETE FROM attribute a USING service s
           WHERE a.link_entity = 'service' AND a.link_id = s.id AND s.source = %s""",
        [source],
    )
    for table in ("service", "location", "organization"):
        conn.execute(sql.SQL("DELETE FROM {} WHERE source = %s").format(sql.Identifier(table)), [source])
    return removed
