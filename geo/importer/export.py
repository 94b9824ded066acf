"""Exports: HSDS 3 (geo.importer.hsds_export: a tabular package as a folder or .zip, or JSON),
GeoJSON, and the spreadsheet template. Importing an export gives the same records back (an HSDS
export under the UUIDs it gave them).

Privacy: a confidential service's locations are exported without a point and without a street
address (city, state and ZIP only), in every format. Coordinates are exported as the source gave
them; points we geocoded are not passed off as the source's (GeoJSON carries them, with precision).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from geo.db import Connection
from geo.errors import BadRequest
from geo.fields import Hours, Phone, format_hours
from geo.importer.hsds import STAGE_TAXONOMY
from geo.importer.hsds_export import Terms, public_place, write_hsds
from geo.importer.records import Place, Record, ServiceArea
from geo.importer.sheet import TEMPLATE, template_row
from geo.taxonomy import TAXONOMY


def read_records(conn: Connection, *, source: str | None = None) -> list[Record]:
    """Services as records, in source-id order: what an import of an export must give back.
    Without `source`, every service that is not SAMPLE data."""
    services = conn.execute(
        """SELECT s.id, coalesce(s.source, '') AS source, coalesce(s.source_id, s.id) AS source_id, s.name,
                  s.description, s.url, s.email,
                  s.status, s.capacity, s.confidential, s.assured_date::text, s.assurer_email,
                  o.name AS org_name,
                  coalesce(o.source_id, o.id) AS org_source_id
           FROM service s JOIN organization o ON o.id = s.organization_id
           WHERE (%(source)s::text IS NULL AND NOT s.is_sample) OR s.source = %(source)s
           ORDER BY coalesce(s.source_id, s.id)""",
        {"source": source},
    ).fetchall()
    ids = [s["id"] for s in services]
    details: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))

    def collect(kind: str, sql: str) -> None:
        for row in conn.execute(sql, [ids]):
            details[row["service_id"]][kind].append(row)

    collect("categories", """SELECT a.link_id AS service_id, t.code FROM attribute a
                             JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
                             WHERE a.link_entity = 'service' AND a.link_id = ANY(%s) ORDER BY a.id""")
    collect("stages", """SELECT x.service_id, x.stage_code FROM service_stage x JOIN landscape_stage l
                         ON l.code = x.stage_code WHERE x.service_id = ANY(%s) ORDER BY l.position""")
    collect("languages", "SELECT service_id, name, code FROM language WHERE service_id = ANY(%s) ORDER BY id")
    collect("phones", """SELECT service_id, number, extension, type FROM phone
                         WHERE service_id = ANY(%s) ORDER BY id""")
    collect("hours", """SELECT sc.service_id, sc.byday, to_char(sc.opens_at, 'HH24:MI') AS opens_at,
                               to_char(sc.closes_at, 'HH24:MI') AS closes_at, sc.freq, sc.bymonthday,
                               sc.valid_from::text, sc.valid_to::text, sc.description,
                               coalesce(l.source_id, l.id) AS site  -- hours of one site: its location
                        FROM schedule sc
                        LEFT JOIN service_at_location sal ON sal.id = sc.service_at_location_id
                        LEFT JOIN location l ON l.id = sal.location_id
                        WHERE sc.service_id = ANY(%s) AND sc.opens_at IS NOT NULL ORDER BY sc.id""")
    collect("places", """SELECT sal.service_id, coalesce(l.source_id, l.id) AS source_id, l.name,
                                l.latitude::float8 AS latitude, l.longitude::float8 AS longitude,
                                l.geocode_precision, l.geocode_source, l.confidential,
                                a.address_1, a.city, a.state_province, a.postal_code
                         FROM service_at_location sal JOIN location l ON l.id = sal.location_id
                         LEFT JOIN LATERAL (SELECT * FROM address WHERE location_id = l.id
                                            ORDER BY id LIMIT 1) a ON true
                         WHERE sal.service_id = ANY(%s) ORDER BY 2""")
    collect("areas", """SELECT service_id, coalesce(source_id, id) AS id, name, description,
                               coalesce(extent, ST_AsGeoJSON(geom, 9)) AS extent
                        FROM service_area WHERE service_id = ANY(%s) ORDER BY 2""")
    records = []
    for s in services:
        d = details[s["id"]]
        r = Record("", 0, s["source_id"], s["name"], s["org_name"], s["org_source_id"],
                   description=s["description"], url=s["url"], email=s["email"], capacity=s["capacity"],
                   confidential=s["confidential"], status=s["status"], source=s["source"],
                   assured_date=s["assured_date"], assurer_email=s["assurer_email"])
        r.categories = [x["code"] for x in d["categories"]]
        r.stages = [x["stage_code"] for x in d["stages"]]
        r.languages = [x["code"] or x["name"] for x in d["languages"]]  # a name only when it is no language
        r.phones = [Phone(x["number"], x["extension"], x["type"]) for x in d["phones"]]
        r.hours = [Hours(x["byday"] or "", x["opens_at"], x["closes_at"], x["freq"] or "WEEKLY", x["bymonthday"],
                         x["valid_from"], x["valid_to"], x["description"], x["site"]) for x in d["hours"]]
        for x in d["places"]:
            p = Place(x["source_id"], x["name"], x["address_1"] or None, x["city"] or None,
                      x["state_province"] or None, x["postal_code"] or None, x["latitude"], x["longitude"],
                      x["geocode_precision"], x["geocode_source"], x["confidential"])
            r.places.append(p)
        r.areas = [ServiceArea(x["id"], x["name"], x["extent"], "geojson" if x["extent"] else None,
                               x["description"]) for x in d["areas"]]
        records.append(r)
    return records


def write_csv(records: list[Record], output: Path) -> None:
    with output.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=TEMPLATE)
        writer.writeheader()
        for r in records:
            public = Record(r.file, r.line, r.source_id, r.name, r.organization, r.organization_id,
                            description=r.description, url=r.url, capacity=r.capacity,
                            confidential=r.confidential, categories=r.categories, stages=r.stages,
                            languages=r.languages, phones=r.phones, hours=r.hours,
                            places=[public_place(r, p) for p in r.places[:1]])
            writer.writerow(template_row(public))


def geojson_collection(records: list[Record]) -> dict:
    """One feature per service location; confidential ones have no geometry and no street."""
    features = []
    for r in records:
        for p in r.places:
            hidden = r.confidential or p.confidential
            point = None if hidden or p.latitude is None or p.longitude is None else {
                "type": "Point", "coordinates": [p.longitude, p.latitude]}
            features.append({
                "type": "Feature", "geometry": point,
                "properties": {
                    "service_id": r.source_id, "name": r.name, "organization": r.organization,
                    "categories": r.categories, "stages": r.stages, "confidential": hidden,
                    "address": None if hidden else p.address_1, "city": p.city, "state": p.state,
                    "zip": p.postal_code, "precision": None if hidden else p.precision,
                    "geocode_source": None if hidden else p.geocode_source,
                },
            })
    return {"type": "FeatureCollection", "features": features}


def term_names(conn: Connection) -> Terms:
    """Names and descriptions of our categories and stages, for the exported taxonomy terms."""
    rows = conn.execute(
        """SELECT %(categories)s AS taxonomy, code, name, description FROM taxonomy_term WHERE taxonomy = %(categories)s
           UNION ALL SELECT %(stages)s, code, name, description FROM landscape_stage""",
        {"categories": TAXONOMY, "stages": STAGE_TAXONOMY}).fetchall()
    return {(r["taxonomy"], r["code"]): (r["name"], r["description"] or r["name"]) for r in rows}


@dataclass(frozen=True)
class Exported:
    """How many services went out, and what the format could not carry (said, never silently lost)."""

    services: int
    notes: list[str] = field(default_factory=list)


def export(conn: Connection, format_: str, output: Path, *, source: str | None = None) -> Exported:
    """Write `format_` (hsds, geojson or csv) to `output`."""
    records = read_records(conn, source=source)
    notes = []
    if format_ == "hsds":
        write_hsds(records, output, term_names(conn))
    elif format_ == "csv":
        write_csv(records, output)
        left_out = sum(1 for r in records if any(not format_hours([h]) for h in r.hours))
        if left_out:
            who = "1 service has" if left_out == 1 else f"{left_out} services have"
            notes.append(f"{who} hours a sheet cannot hold (days of the month or seasons); they are left "
                         "out of the hours column: use --format hsds to keep them")
    elif format_ == "geojson":
        output.write_text(json.dumps(geojson_collection(records), ensure_ascii=False), encoding="utf-8")
    else:
        raise BadRequest(f"unknown export format {format_!r}: use hsds, geojson or csv")
    return Exported(len(records), notes)
