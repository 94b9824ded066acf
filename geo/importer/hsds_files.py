"""HSDS 3 files as tables and back: CSV packages (a folder or a .zip of organizations.csv,
services.csv, …) and JSON (a list of service objects as the HSDS API returns them, or NDJSON) are
read into the same tables, every row knowing its file, line and JSON path; rejected services are
written back in the input's own form. geo.importer.hsds turns the tables into records."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import BadRequest, RowError
from geo.importer.records import Record
from geo.importer.sheet import decode

FILES = ("organizations", "services", "locations", "service_at_location", "addresses", "phones",
         "schedules", "languages", "taxonomy_terms", "attributes", "service_areas")
REQUIRED_FILES = ("services",)
REJECT_COLUMN = "reject_reason"


@dataclass
class Row:
    file: str
    line: int
    data: dict[str, str]
    path: str = ""  # in JSON, where in the item the row's object is (`schedules[0].`)

    def get(self, key: str) -> str:
        value = self.data.get(key)
        return "" if value is None else str(value).strip()

    def error(self, field_name: str, reason: str) -> RowError:
        return RowError(self.file, self.line, self.path + field_name, reason)


@dataclass
class Tables:
    """An HSDS dataset as its tables, every row knowing the file and line it came from."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    headers: dict[str, list[str]] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)

    def by(self, table: str, key: str) -> dict[str, list[Row]]:
        index: dict[str, list[Row]] = defaultdict(list)
        for r in self.rows.get(table, []):
            index[r.get(key)].append(r)
        return index


# --- reading --------------------------------------------------------------------------------

def _package_files(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for f in sorted(path.glob("*.csv")):
            yield f.name, f.read_bytes()
        return
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if name.lower().endswith(".csv") and not name.startswith("__MACOSX"):
                yield Path(name).name, z.read(name)


def read_package(path: Path) -> Tables:
    tables = Tables()
    for name, data in _package_files(path):
        table = name.removesuffix(".csv").lower()
        if table not in FILES:
            continue
        text, encoding = decode(data)
        reader = csv.reader(io.StringIO(text, newline=""))
        headers = [h.strip() for h in next(reader, [])]
        tables.headers[table], tables.encodings[table] = headers, encoding
        previous = reader.line_num
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if any(c.strip() for c in cells):
                tables.rows[table].append(Row(name, start, dict(zip(headers, cells, strict=False))))
    missing = [f"{t}.csv" for t in REQUIRED_FILES if t not in tables.headers]
    if missing:
        raise BadRequest(f"{path.name}: not an HSDS package: {', '.join(missing)} is missing")
    return tables


def service_objects(path: Path) -> list[tuple[int, dict]]:
    text, _ = decode(path.read_bytes())
    stripped = text.lstrip()
    if path.suffix.lower() in (".ndjson", ".jsonl") or (stripped and not stripped.startswith("[")
                                                        and "\n{" in stripped):
        items = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    items.append((n, json.loads(line)))
                except json.JSONDecodeError as e:
                    raise BadRequest(f"{path.name}:{n}: not JSON: {e.msg}") from None
        return items
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadRequest(f"{path.name}:{e.lineno}: not JSON: {e.msg}") from None
    if isinstance(data, dict):
        data = data.get("contents") or data.get("items") or [data]
    if not isinstance(data, list):
        raise BadRequest(f"{path.name}: expected a list of HSDS service objects")
    return list(enumerate(data, start=1))


def _as_services(name: str, line: int, obj: object) -> list[dict]:
    """The service objects an HSDS JSON item holds: a service; an organization's services; a
    service at a location's service (there, with its location). Anything else is said to be so."""
    if not isinstance(obj, dict):
        raise BadRequest(f"{name}:{line}: expected an HSDS service object, not {type(obj).__name__}")
    if isinstance(obj.get("services"), list):  # an organization with its services
        org = {k: v for k, v in obj.items() if not isinstance(v, list | dict)}
        return [{**svc, "organization": svc.get("organization") or org} for svc in obj["services"]
                if isinstance(svc, dict)]
    if isinstance(obj.get("service"), dict) and isinstance(obj.get("location"), dict):  # a service at a location
        sal = {k: v for k, v in obj.items() if k != "service"}
        return [{**obj["service"], "service_at_locations": [sal]}]
    if "location_type" in obj or "taxonomy_detail" in obj or "taxonomy" in obj and "name" in obj and "status" not in obj:
        what = "a location" if "location_type" in obj else "a taxonomy term"
        raise BadRequest(f"{name}:{line}: this is {what}, not a service: import services (each with its "
                         "service_at_locations), an organization with its services, or a service at a location")
    return [obj]


def flatten_services(path: Path, items: list[tuple[int, dict]]) -> Tables:
    """Nested HSDS service objects → HSDS tables (the same shape a CSV package has); each row keeps
    the JSON path of its object, so a problem is reported where it is (`schedules[0].byday`)."""
    tables = Tables()
    name = path.name

    def add(table: str, line: int, at: str, obj: dict, **links: str | None) -> None:
        flat = {k: v for k, v in obj.items() if not isinstance(v, list | dict)}
        flat.update({k: v for k, v in links.items() if v is not None})
        tables.rows[table].append(Row(name, line, {k: "" if v is None else str(v) for k, v in flat.items()},
                                      f"{at}." if at else ""))

    def each(parent: dict, key: str, at: str) -> Iterator[tuple[str, dict]]:
        for i, obj in enumerate(parent.get(key) or []):
            if isinstance(obj, dict):
                yield f"{at}{'.' if at else ''}{key}[{i}]", obj

    for line, item in items:
        for svc in _as_services(name, line, item):
            _flatten_service(svc, line, add, each)
    return tables


def _flatten_service(svc: dict, line: int, add: Callable[..., None],
                     each: Callable[[dict, str, str], Iterator[tuple[str, dict]]]) -> None:
    sid = str(svc.get("id") or "")
    org = svc.get("organization") or {}
    add("services", line, "", svc, organization_id=str(svc.get("organization_id") or org.get("id") or ""))
    if org:
        add("organizations", line, "organization", org)
    for at, ph in each(svc, "phones", ""):
        add("phones", line, at, ph, service_id=sid)
    for at, sch in each(svc, "schedules", ""):
        add("schedules", line, at, sch, service_id=sid)
    for at, lang in each(svc, "languages", ""):
        add("languages", line, at, lang, service_id=sid)
    for at, area in each(svc, "service_areas", ""):
        extent = area.get("extent")
        area = {**area, "extent": json.dumps(extent) if isinstance(extent, dict) else extent}
        add("service_areas", line, at, area, service_id=sid)
    for at, att in each(svc, "attributes", ""):
        term = att.get("taxonomy_term") or {}
        if term:
            add("taxonomy_terms", line, f"{at}.taxonomy_term", term)
        add("attributes", line, at, att, link_id=att.get("link_id") or sid,
            link_entity=att.get("link_entity") or "service",
            taxonomy_term_id=att.get("taxonomy_term_id") or term.get("id"))
    for at, sal in each(svc, "service_at_locations", ""):
        loc = sal.get("location") or {}
        lid = str(sal.get("location_id") or loc.get("id") or "")
        add("service_at_location", line, at, sal, service_id=sid, location_id=lid)
        for sat, sch in each(sal, "schedules", at):  # this service's hours at this location
            add("schedules", line, sat, sch, service_id=sid, service_at_location_id=sal.get("id"), location_id=lid)
        if loc:
            add("locations", line, f"{at}.location", loc)
            for aat, adr in each(loc, "addresses", f"{at}.location"):
                add("addresses", line, aat, adr, location_id=lid)
            for sat, sch in each(loc, "schedules", f"{at}.location"):  # the location's, so this service's there
                add("schedules", line, sat, sch, service_id=sid, location_id=lid)


# --- rejects --------------------------------------------------------------------------------

def _reason(record: Record) -> str:
    return "; ".join(f"{e.file}:{e.line}: {e.field}: {e.reason}" for e in record.errors)


def write_json_rejects(path: Path, rejected: list[Record]) -> Path:
    """Rejected service objects as given, each with a `reject_reason`, in the input's JSON flavour."""
    ndjson = path.suffix.lower() in (".ndjson", ".jsonl")
    out = path.with_name(f"{path.stem}.rejects{path.suffix}")
    objects = [{**(r.raw if isinstance(r.raw, dict) else {}), REJECT_COLUMN: _reason(r)} for r in rejected]
    if ndjson:
        out.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), encoding="utf-8")
    else:
        out.write_text(json.dumps(objects, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


def write_package_rejects(path: Path, tables: Tables, rejected: list[Record]) -> Path:
    """A package (folder, or .zip like the input) with only the rejected services and what they
    link to; services.csv says why in a `reject_reason` column."""
    service_ids = {r.source_id for r in rejected}
    reasons = {r.source_id: _reason(r) for r in rejected}
    sals = [s for s in tables.rows.get("service_at_location", []) if s.get("service_id") in service_ids]
    location_ids = {s.get("location_id") for s in sals} - {""}
    sal_ids = {s.get("id") for s in sals} - {""}
    org_ids = {r.organization_id for r in rejected}

    def linked(row: Row) -> bool:
        return (row.get("service_id") in service_ids or row.get("service_at_location_id") in sal_ids
                or row.get("location_id") in location_ids)

    keep = {
        "services": lambda row: row.get("id") in service_ids,
        "organizations": lambda row: row.get("id") in org_ids,
        "service_at_location": lambda row: row.get("service_id") in service_ids,
        "locations": lambda row: row.get("id") in location_ids,
        "addresses": lambda row: row.get("location_id") in location_ids,
        "phones": linked,
        "schedules": linked,
        "languages": lambda row: row.get("service_id") in service_ids,
        "attributes": lambda row: row.get("link_id") in service_ids,
        "service_areas": lambda row: row.get("service_id") in service_ids,
        "taxonomy_terms": lambda row: True,
    }
    files: dict[str, str] = {}
    for table, headers in tables.headers.items():
        body = io.StringIO()
        writer = csv.writer(body)
        extra = [REJECT_COLUMN] if table == "services" else []
        writer.writerow([*headers, *extra])
        for row in tables.rows.get(table, []):
            if keep[table](row):
                writer.writerow([row.data.get(h, "") for h in headers]
                                + ([reasons.get(row.get("id"), "")] if extra else []))
        files[f"{table}.csv"] = body.getvalue()
    if path.is_dir():
        out = path.with_name(f"{path.name}.rejects")
        out.mkdir(exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
        return out
    out = path.with_name(f"{path.stem}.rejects.zip")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return out
