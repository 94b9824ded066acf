"""Records as HSDS 3.0: a tabular package (CSV files and their datapackage.json, as a folder or a
.zip) or JSON service objects (a list, or NDJSON), both conforming to the official schemas
(tests/geo/test_hsds_export.py validates them) and both read back by geo.importer.hsds.

Ids are UUIDs, as HSDS 3 requires: a record goes out under the source's own id when that is a UUID,
else under ours (geo.ids.record_id: the id the read API shows), and its details (phones, schedules,
languages, attributes) under ids derived from it, so exporting what an export imported gives the
same files. Importing an export into the source it came from finds its rows again
(geo.importer.apply.recognise_our_ids). A value we do not have is left out (an empty cell, or no
key in JSON); HSDS's required text with no value (an organization's description, a confidential
site's street) is an empty string, declared so in datapackage.json (`missingValues: []`).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from geo.ids import child_id, is_uuid, record_id
from geo.importer.hsds import CONFIDENTIAL_CODE, FLAG_TAXONOMY, STAGE_TAXONOMY
from geo.importer.records import Place, Record
from geo.languages import language_or_none
from geo.taxonomy import TAXONOMY, TAXONOMY_ID, term_id

_NAMESPACE = uuid.UUID("5b0c7c47-6f7e-4a3e-9d43-8f1f5a0b6c21")  # the taxonomy's, so ids agree


class Column(NamedTuple):
    """A column as HSDS 3's Table Schema declares it: type, format, and whether it is required."""

    name: str
    type: str = "string"
    format: str | None = None
    required: bool = False


def _id(name: str = "id", required: bool = True) -> Column:
    return Column(name, "string", "uuid", required)


# Each file we write: its HSDS resource name and its columns (a subset of the official ones).
RESOURCES: dict[str, tuple[str, list[Column]]] = {
    "organizations": ("organization", [_id(), Column("name", required=True),
                                       Column("description", required=True)]),
    "services": ("service", [_id(), _id("organization_id"), Column("name", required=True),
                             Column("description"), Column("url", format="uri"),
                             Column("email", format="email"), Column("status", required=True),
                             Column("assured_date", "date"), Column("assurer_email", format="email")]),
    "locations": ("location", [_id(), Column("location_type", required=True), _id("organization_id", False),
                               Column("name"), Column("latitude", "number"), Column("longitude", "number")]),
    "service_at_location": ("service_at_location", [_id(), _id("service_id"), _id("location_id")]),
    "addresses": ("address", [_id(), _id("location_id", False)] + [
        Column(c, required=True) for c in ("address_1", "city", "state_province", "postal_code", "country",
                                           "address_type")]),
    "phones": ("phone", [_id(), _id("service_id", False), Column("number", required=True),
                         Column("extension", "number"), Column("type")]),
    "schedules": ("schedule", [_id(), _id("service_id", False), _id("service_at_location_id", False),
                               Column("freq"), Column("byday"),
                               Column("bymonthday"), Column("opens_at", "time"), Column("closes_at", "time"),
                               Column("valid_from", "date"), Column("valid_to", "date"),
                               Column("description"), Column("timezone", "number")]),
    "languages": ("language", [_id(), _id("service_id", False), Column("name"), Column("code")]),
    "taxonomies": ("taxonomy", [_id(), Column("name", required=True), Column("description", required=True)]),
    "taxonomy_terms": ("taxonomy_term", [_id(), Column("code"), Column("name", required=True),
                                         Column("description", required=True), Column("taxonomy"),
                                         _id("taxonomy_id", False), Column("language")]),
    "attributes": ("attribute", [_id(), _id("link_id"), _id("taxonomy_term_id"), Column("link_type"),
                                 Column("link_entity", required=True)]),
    "service_areas": ("service_area", [_id(), _id("service_id", False), Column("name"), Column("description"),
                                       Column("extent"), Column("extent_type")]),
}
# Tables whose required text may be empty: an empty cell there is an empty string, not a missing value.
EMPTY_IS_TEXT = {"organizations", "addresses"}
FOREIGN_KEYS = {
    "services": [("organization_id", "organization")],
    "locations": [("organization_id", "organization")],
    "service_at_location": [("service_id", "service"), ("location_id", "location")],
    "addresses": [("location_id", "location")],
    "phones": [("service_id", "service")],
    "schedules": [("service_id", "service"), ("service_at_location_id", "service_at_location")],
    "languages": [("service_id", "service")], "service_areas": [("service_id", "service")],
    "taxonomy_terms": [("taxonomy_id", "taxonomy")], "attributes": [("taxonomy_term_id", "taxonomy_term")],
}
TAXONOMIES = {  # name → (id, title, description)
    TAXONOMY: (TAXONOMY_ID, "Upstream Atlas service categories", "Kinds of help families look for."),
    STAGE_TAXONOMY: (str(uuid.uuid5(_NAMESPACE, f"taxonomy:{STAGE_TAXONOMY}")), "Child-welfare landscape stages",
                     "Where along the child-welfare landscape a service helps, prevention to aftercare."),
    FLAG_TAXONOMY: (str(uuid.uuid5(_NAMESPACE, f"taxonomy:{FLAG_TAXONOMY}")), "Upstream Atlas flags",
                    "Facts about a service that change how it is shown."),
}
FLAG_TERMS = {CONFIDENTIAL_CODE: ("Confidential site",
                                  "The service's sites are confidential: no point or street address is shown.")}
Terms = dict[tuple[str, str], tuple[str, str]]  # (taxonomy, code) → (name, description)


def stage_term_id(code: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"stage:{code}"))


def flag_term_id(code: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"flag:{code}"))


def _derived_id(kind: str, *parents: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join((kind, *parents))))


def _out_id(source: str, kind: str, source_id: str) -> str:
    return source_id if is_uuid(source_id) else record_id(source, kind, source_id)


def as_exported(r: Record) -> Record:
    """The record under the ids it goes out with (and comes back with, imported elsewhere); its
    places and areas in id order, as read_records lists them."""
    return replace(
        r, source_id=_out_id(r.source, "service", r.source_id),
        organization_id=_out_id(r.source, "organization", r.organization_id),
        places=sorted((replace(p, source_id=_out_id(r.source, "location", p.source_id)) for p in r.places),
                      key=lambda p: p.source_id),
        areas=sorted((replace(a, source_id=_out_id(r.source, "service_area", a.source_id)) for a in r.areas),
                     key=lambda a: a.source_id))


def public_place(record: Record, p: Place) -> Place:
    """What may leave the database: no point or street for confidential services; no geocoded
    point passed off as the source's."""
    hidden = record.confidential or p.confidential
    given = p.geocode_source == "source" and not hidden
    return Place(p.source_id, p.name, None if hidden else p.address_1, p.city, p.state, p.postal_code,
                 p.latitude if given else None, p.longitude if given else None, confidential=hidden)


def _num(v: float | None) -> str:
    return "" if v is None else repr(float(v))


def _term_row(tid: str, code: str, taxonomy: str, terms: Terms) -> dict[str, str]:
    name, description = terms.get((taxonomy, code)) or FLAG_TERMS.get(code) or (code, code)
    return {"id": tid, "code": code, "name": name, "description": description or name, "taxonomy": taxonomy,
            "taxonomy_id": TAXONOMIES[taxonomy][0], "language": "en"}


def _service_rows(t: dict[str, list[dict[str, str]]], r: Record, terms: Terms) -> None:
    sid = r.source_id
    t["services"].append({"id": sid, "organization_id": r.organization_id, "name": r.name,
                          "description": r.description or "", "url": r.url or "", "email": r.email or "",
                          "status": r.status, "assured_date": r.assured_date or "",
                          "assurer_email": r.assurer_email or ""})
    links = ([(term_id(c), c, TAXONOMY, "category", i) for i, c in enumerate(r.categories)]
             + [(stage_term_id(s), s, STAGE_TAXONOMY, "stage", i) for i, s in enumerate(r.stages)]
             + ([(flag_term_id(CONFIDENTIAL_CODE), CONFIDENTIAL_CODE, FLAG_TAXONOMY, "flag", 0)]
                if r.confidential else []))
    for tid, code, taxonomy, kind, i in links:
        t["taxonomy_terms"].append(_term_row(tid, code, taxonomy, terms))
        t["attributes"].append({"id": child_id(sid, kind, i), "link_id": sid, "taxonomy_term_id": tid,
                                "link_type": "category" if taxonomy == TAXONOMY else taxonomy,
                                "link_entity": "service"})
    for i, ph in enumerate(r.phones):
        extension = ph.extension if ph.extension and ph.extension.isdigit() else ""
        t["phones"].append({"id": child_id(sid, "phone", i), "service_id": sid, "number": ph.number,
                            "extension": extension, "type": ph.type or ""})
    for i, h in enumerate(r.hours):
        t["schedules"].append({"id": child_id(sid, "schedule", i), "service_id": sid,
                               "service_at_location_id": _derived_id("sal", sid, h.site) if h.site else "",
                               "freq": h.freq,
                               "byday": h.byday, "bymonthday": h.bymonthday or "",
                               "opens_at": f"{h.opens_at}:00", "closes_at": f"{h.closes_at}:00",
                               "valid_from": h.valid_from or "", "valid_to": h.valid_to or "",
                               "description": h.description or "", "timezone": ""})
    for i, lang in enumerate(r.languages):
        found = language_or_none(lang)
        t["languages"].append({"id": child_id(sid, "language", i), "service_id": sid,
                               "name": found.name if found else lang, "code": found.code if found else ""})
    for p in (public_place(r, p) for p in r.places):
        t["locations"].append({"id": p.source_id, "location_type": "physical", "organization_id": r.organization_id,
                               "name": p.name or "", "latitude": _num(p.latitude), "longitude": _num(p.longitude)})
        t["service_at_location"].append({"id": _derived_id("sal", sid, p.source_id), "service_id": sid,
                                         "location_id": p.source_id})
        if p.address_1 or p.city or p.postal_code:
            t["addresses"].append({"id": _derived_id("address", p.source_id), "location_id": p.source_id,
                                   "address_1": p.address_1 or "", "city": p.city or "",
                                   "state_province": p.state or "", "postal_code": p.postal_code or "",
                                   "country": "US", "address_type": "physical"})
    for a in r.areas:
        t["service_areas"].append({"id": a.source_id, "service_id": sid, "name": a.name or "",
                                   "description": a.description or "", "extent": a.extent or "",
                                   "extent_type": a.extent_type or ""})


def _once(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """One row per id, the first (a location serving several services is written once)."""
    return list({row["id"]: row for row in reversed(rows)}.values())[::-1]


def hsds_tables(records: list[Record], terms: Terms | None = None) -> dict[str, list[dict[str, str]]]:
    """Records (as read back from the database) as HSDS 3 tables, under their exported ids."""
    t: dict[str, list[dict[str, str]]] = defaultdict(list)
    orgs: dict[str, str] = {}
    for r in map(as_exported, records):
        orgs.setdefault(r.organization_id, r.organization)
        _service_rows(t, r, terms or {})
    t["organizations"] = [{"id": k, "name": v, "description": ""} for k, v in orgs.items()]
    for name in ("locations", "addresses", "taxonomy_terms"):
        t[name] = _once(t[name])
    used = {row["taxonomy"] for row in t["taxonomy_terms"]}
    t["taxonomies"] = [{"id": tid, "name": title, "description": description}
                       for name, (tid, title, description) in TAXONOMIES.items() if name in used]
    # In id order: the same records give the same files whatever order their source ids had.
    return {name: sorted(rows, key=lambda row: row["id"]) for name, rows in t.items()}


def datapackage(files: list[str]) -> dict:
    """The Frictionless Data Package describing the files written, in HSDS 3's terms."""
    resources = []
    for file in files:
        table = file.removesuffix(".csv")
        name, columns = RESOURCES[table]
        schema: dict = {"primaryKey": "id", "fields": [
            {"name": c.name, "type": c.type, **({"format": c.format} if c.format else {}),
             "constraints": {"required": c.required}} for c in columns]}
        keys = [{"fields": f, "reference": {"resource": res, "fields": "id"}}
                for f, res in FOREIGN_KEYS.get(table, []) if f"{_file_of(res)}" in files]
        if keys:
            schema["foreignKeys"] = keys
        if table in EMPTY_IS_TEXT:
            schema["missingValues"] = []
        resources.append({"name": name, "path": file, "format": "csv", "mediatype": "text/csv",
                          "encoding": "utf-8", "profile": "tabular-data-resource", "schema": schema})
    return {"name": "upstream-atlas-directory", "title": "Upstream Atlas service directory",
            "profile": "tabular-data-package", "version": "3.0.0",
            "description": "Services families need, as Open Referral HSDS 3.0 (https://docs.openreferral.org).",
            "resources": resources}


def _file_of(resource: str) -> str:
    return next(f"{table}.csv" for table, (name, _) in RESOURCES.items() if name == resource)


def _csv_text(columns: list[Column], rows: list[dict[str, str]]) -> str:
    body = io.StringIO()
    writer = csv.DictWriter(body, fieldnames=[c.name for c in columns], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return body.getvalue()


def typed(table: str, row: dict[str, str]) -> dict[str, object]:
    """A table row as an HSDS JSON object: numbers as numbers, and no key for a value we lack."""
    out: dict[str, object] = {}
    for c in RESOURCES[table][1]:
        value = row.get(c.name, "")
        if value == "" and not (c.required and table in EMPTY_IS_TEXT):
            continue
        out[c.name] = (int(float(value)) if float(value).is_integer() else float(value)) \
            if c.type == "number" else value
    return out


def service_objects(tables: dict[str, list[dict[str, str]]]) -> list[dict]:
    """The tables as nested HSDS service objects (schema/compiled/service.json), one per service."""
    by: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for table, key in (("phones", "service_id"), ("schedules", "service_id"), ("languages", "service_id"),
                       ("attributes", "link_id"), ("service_areas", "service_id"),
                       ("service_at_location", "service_id"), ("addresses", "location_id")):
        for row in tables.get(table, []):
            by[table][row[key]].append(row)
    index = {table: {row["id"]: row for row in tables.get(table, [])}
             for table in ("organizations", "locations", "taxonomy_terms", "taxonomies")}
    taxonomy_of = {row["id"]: typed("taxonomies", row) for row in tables.get("taxonomies", [])}

    def term(tid: str) -> dict:
        row = index["taxonomy_terms"][tid]
        return {**typed("taxonomy_terms", row), "taxonomy_detail": taxonomy_of[row["taxonomy_id"]]}

    def location(lid: str) -> dict:
        return {**typed("locations", index["locations"][lid]),
                "addresses": [typed("addresses", a) for a in by["addresses"][lid]]}

    return [{**typed("services", s),
             "organization": typed("organizations", index["organizations"][s["organization_id"]]),
             **{key: [typed(table, x) for x in by[table][s["id"]]]
                for key, table in (("phones", "phones"), ("schedules", "schedules"), ("languages", "languages"),
                                   ("service_areas", "service_areas"))},
             "attributes": [{**typed("attributes", a), "taxonomy_term": term(a["taxonomy_term_id"])}
                            for a in by["attributes"][s["id"]]],
             "service_at_locations": [{**typed("service_at_location", x), "location": location(x["location_id"])}
                                      for x in by["service_at_location"][s["id"]]]}
            for s in tables.get("services", [])]


def write_hsds(records: list[Record], output: Path, terms: Terms | None = None) -> None:
    """A tabular package (folder or .zip, with datapackage.json) or, for .json/.ndjson, service objects."""
    tables = hsds_tables(records, terms)
    suffix = output.suffix.lower()
    if suffix in (".json", ".ndjson", ".jsonl"):
        objects = service_objects(tables)
        text = ("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects) if suffix != ".json"
                else json.dumps(objects, ensure_ascii=False, indent=1))
        output.write_text(text, encoding="utf-8")
        return
    files = {f"{table}.csv": _csv_text(columns, tables.get(table, [])) for table, (_, columns) in RESOURCES.items()}
    files["datapackage.json"] = json.dumps(datapackage([f for f in files if f.endswith(".csv")]), indent=2)
    if suffix == ".zip":
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in files.items():
                z.writestr(name, text)
        return
    output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (output / name).write_text(text, encoding="utf-8")
