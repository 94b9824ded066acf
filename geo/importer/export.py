"""Exports: HSDS 3 (CSV package as a folder or .zip, or JSON), GeoJSON, and the spreadsheet
template. Importing an export gives the same records back.

Privacy: a confidential service's locations are exported without a point and without a street
address (city, state and ZIP only), in every format. Coordinates are exported as the source gave
them; points we geocoded are not passed off as the source's (GeoJSON carries them, with precision).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from geo.db import Connection
from geo.errors import BadRequest
from geo.fields import Hours, Phone, format_hours
from geo.importer.hsds import CONFIDENTIAL_CODE, FLAG_TAXONOMY, STAGE_TAXONOMY
from geo.importer.records import Place, Record, ServiceArea
from geo.importer.sheet import TEMPLATE, template_row
from geo.languages import language_or_none
from geo.taxonomy import TAXONOMY, term_id

_NAMESPACE = uuid.UUID("5b0c7c47-6f7e-4a3e-9d43-8f1f5a0b6c21")  # the taxonomy's, so ids agree
HSDS_COLUMNS = {
    "organizations": ["id", "name", "description", "email", "website"],
    "services": ["id", "organization_id", "name", "description", "url", "email", "status"],
    "locations": ["id", "location_type", "organization_id", "name", "latitude", "longitude"],
    "service_at_location": ["id", "service_id", "location_id"],
    "addresses": ["id", "location_id", "address_1", "city", "state_province", "postal_code", "country",
                  "address_type"],
    "phones": ["id", "service_id", "number", "extension", "type"],
    "schedules": ["id", "service_id", "freq", "byday", "bymonthday", "opens_at", "closes_at", "valid_from",
                  "valid_to", "description", "timezone"],
    "languages": ["id", "service_id", "name", "code"],
    "taxonomy_terms": ["id", "code", "name", "description", "taxonomy", "language"],
    "attributes": ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity"],
    "service_areas": ["id", "service_id", "name", "description", "extent", "extent_type"],
}


def stage_term_id(code: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"stage:{code}"))


def flag_term_id(code: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"flag:{code}"))


def read_records(conn: Connection, *, source: str | None = None) -> list[Record]:
    """Services as records, in source-id order: what an import of an export must give back.
    Without `source`, every service that is not SAMPLE data."""
    services = conn.execute(
        """SELECT s.id, coalesce(s.source_id, s.id) AS source_id, s.name, s.description, s.url, s.email,
                  s.status, s.capacity, s.confidential, o.name AS org_name,
                  coalesce(o.source_id, o.id) AS org_source_id
           FROM service s JOIN organization o ON o.id = s.organization_id
           WHERE (%(source)s::text IS NULL AND NOT s.is_sample) OR s.source = %(source)s
           ORDER BY 2""",
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
    collect("hours", """SELECT service_id, byday, to_char(opens_at, 'HH24:MI') AS opens_at,
                               to_char(closes_at, 'HH24:MI') AS closes_at, freq, bymonthday,
                               valid_from::text, valid_to::text, description FROM schedule
                        WHERE service_id = ANY(%s) AND opens_at IS NOT NULL ORDER BY id""")
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
                   confidential=s["confidential"], status=s["status"])
        r.categories = [x["code"] for x in d["categories"]]
        r.stages = [x["stage_code"] for x in d["stages"]]
        r.languages = [x["code"] or x["name"] for x in d["languages"]]  # a name only when it is no language
        r.phones = [Phone(x["number"], x["extension"], x["type"]) for x in d["phones"]]
        r.hours = [Hours(x["byday"] or "", x["opens_at"], x["closes_at"], x["freq"] or "WEEKLY", x["bymonthday"],
                         x["valid_from"], x["valid_to"], x["description"]) for x in d["hours"]]
        for x in d["places"]:
            p = Place(x["source_id"], x["name"], x["address_1"] or None, x["city"] or None,
                      x["state_province"] or None, x["postal_code"] or None, x["latitude"], x["longitude"],
                      x["geocode_precision"], x["geocode_source"], x["confidential"])
            r.places.append(p)
        r.areas = [ServiceArea(x["id"], x["name"], x["extent"], "geojson" if x["extent"] else None,
                               x["description"]) for x in d["areas"]]
        records.append(r)
    return records


def _public_place(record: Record, p: Place) -> Place:
    """What may leave the database: no point or street for confidential services; no geocoded
    point passed off as the source's."""
    hidden = record.confidential or p.confidential
    given = p.geocode_source == "source" and not hidden
    return Place(p.source_id, p.name, None if hidden else p.address_1, p.city, p.state, p.postal_code,
                 p.latitude if given else None, p.longitude if given else None, confidential=hidden)


def _num(v: float | None) -> str:
    return "" if v is None else repr(float(v))


def hsds_tables(records: list[Record]) -> dict[str, list[dict[str, str]]]:
    """Records as HSDS 3 tables; ids are the source's own, so a re-import updates, not duplicates."""
    t: dict[str, list[dict[str, str]]] = defaultdict(list)
    orgs: dict[str, str] = {}
    used_terms: dict[str, dict[str, str]] = {}
    for r in records:
        orgs.setdefault(r.organization_id, r.organization)
        t["services"].append({"id": r.source_id, "organization_id": r.organization_id, "name": r.name,
                              "description": r.description or "", "url": r.url or "", "email": r.email or "",
                              "status": r.status})
        links = ([(term_id(c), c, TAXONOMY) for c in r.categories]
                 + [(stage_term_id(s), s, STAGE_TAXONOMY) for s in r.stages]
                 + ([(flag_term_id(CONFIDENTIAL_CODE), CONFIDENTIAL_CODE, FLAG_TAXONOMY)] if r.confidential else []))
        for tid, code, taxonomy in links:
            used_terms[tid] = {"id": tid, "code": code, "name": code, "description": "", "taxonomy": taxonomy,
                               "language": "en"}
            t["attributes"].append({"id": f"{r.source_id}:{tid}", "link_id": r.source_id, "taxonomy_term_id": tid,
                                    "link_type": "category" if taxonomy == TAXONOMY else taxonomy,
                                    "link_entity": "service"})
        for i, ph in enumerate(r.phones):
            t["phones"].append({"id": f"{r.source_id}:phone:{i}", "service_id": r.source_id, "number": ph.number,
                                "extension": ph.extension or "", "type": ph.type or ""})
        for i, h in enumerate(r.hours):
            t["schedules"].append({"id": f"{r.source_id}:schedule:{i}", "service_id": r.source_id,
                                   "freq": h.freq, "byday": h.byday, "bymonthday": h.bymonthday or "",
                                   "opens_at": h.opens_at, "closes_at": h.closes_at,
                                   "valid_from": h.valid_from or "", "valid_to": h.valid_to or "",
                                   "description": h.description or "", "timezone": ""})
        for i, lang in enumerate(r.languages):
            found = language_or_none(lang)
            t["languages"].append({"id": f"{r.source_id}:language:{i}", "service_id": r.source_id,
                                   "name": found.name if found else lang, "code": found.code if found else ""})
        for p in (_public_place(r, p) for p in r.places):
            t["locations"].append({"id": p.source_id, "location_type": "physical",
                                   "organization_id": r.organization_id, "name": p.name or "",
                                   "latitude": _num(p.latitude), "longitude": _num(p.longitude)})
            t["service_at_location"].append({"id": f"{r.source_id}:{p.source_id}", "service_id": r.source_id,
                                             "location_id": p.source_id})
            if p.address_1 or p.city or p.postal_code:
                t["addresses"].append({"id": f"{p.source_id}:address", "location_id": p.source_id,
                                       "address_1": p.address_1 or "", "city": p.city or "",
                                       "state_province": p.state or "", "postal_code": p.postal_code or "",
                                       "country": "US", "address_type": "physical"})
        for a in r.areas:
            t["service_areas"].append({"id": a.source_id, "service_id": r.source_id, "name": a.name or "",
                                       "description": a.description or "", "extent": a.extent or "",
                                       "extent_type": a.extent_type or ""})
    t["organizations"] = [{"id": k, "name": v, "description": "", "email": "", "website": ""}
                          for k, v in orgs.items()]
    t["taxonomy_terms"] = list(used_terms.values())
    # One location serves several services: write it once.
    seen: set[str] = set()
    t["locations"] = [x for x in t["locations"] if not (x["id"] in seen or seen.add(x["id"]))]  # type: ignore[func-returns-value]
    seen_adr: set[str] = set()
    t["addresses"] = [x for x in t["addresses"] if not (x["id"] in seen_adr or seen_adr.add(x["id"]))]  # type: ignore[func-returns-value]
    return t


def _csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    body = io.StringIO()
    writer = csv.DictWriter(body, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return body.getvalue()


def write_hsds(records: list[Record], output: Path) -> None:
    tables = hsds_tables(records)
    files = {f"{name}.csv": _csv_text(cols, tables.get(name, [])) for name, cols in HSDS_COLUMNS.items()}
    if output.suffix.lower() == ".zip":
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in files.items():
                z.writestr(name, text)
        return
    output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (output / name).write_text(text, encoding="utf-8")


def write_csv(records: list[Record], output: Path) -> None:
    with output.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=TEMPLATE)
        writer.writeheader()
        for r in records:
            public = Record(r.file, r.line, r.source_id, r.name, r.organization, r.organization_id,
                            description=r.description, url=r.url, capacity=r.capacity,
                            confidential=r.confidential, categories=r.categories, stages=r.stages,
                            languages=r.languages, phones=r.phones, hours=r.hours,
                            places=[_public_place(r, p) for p in r.places[:1]])
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
        write_hsds(records, output)
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
