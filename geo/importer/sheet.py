"""One-sheet spreadsheets (CSV or XLSX) in the documented template, read into records; rejected
rows written back beside the input in the same format, with the reason, to fix and re-import."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from geo.errors import BadRequest, RowError, ValidationFailed
from geo.importer.records import (
    FieldProblem,
    Place,
    Record,
    check_coordinates,
    format_hours,
    parse_bool,
    parse_capacity,
    parse_coordinate,
    parse_hours,
    parse_phone,
    split_multi,
)
from geo.importer.vocabulary import Vocabulary

TEMPLATE = ["id", "name", "organization", "address", "city", "state", "zip", "phone", "website",
            "categories", "stages", "languages", "capacity", "hours", "latitude", "longitude",
            "confidential", "description"]
REQUIRED = ["id", "name", "state"]
REJECT_COLUMN = "reject_reason"
_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")


@dataclass
class Sheet:
    """The rows of one sheet as text, with the line each starts on and the headers as written."""

    path: Path
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str

    def as_dicts(self, mapping: dict[str, str]) -> Iterator[tuple[int, dict[str, str], list[str]]]:
        names = [mapping.get(h.strip(), h.strip()).strip().lower() for h in self.headers]
        for line, cells in self.rows:
            padded = cells + [""] * (len(names) - len(cells))
            yield line, dict(zip(names, padded, strict=False)), cells


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without a BOM) when it decodes, else Windows-1252/Latin-1 as old Excel writes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_csv(path: Path) -> Sheet:
    text, encoding = decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise BadRequest(f"{path.name} is empty: expected a header row") from None
    rows = []
    previous = reader.line_num
    for cells in reader:
        start = previous + 1  # a quoted newline makes a row span several lines: report its first
        previous = reader.line_num
        if any(c.strip() for c in cells):
            rows.append((start, cells))
    return Sheet(path, headers, rows, encoding)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def read_xlsx(path: Path) -> Sheet:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        try:
            headers = [_cell_text(v) for v in next(it)]
        except StopIteration:
            raise BadRequest(f"{path.name} is empty: expected a header row") from None
        rows = []
        for line, values in enumerate(it, start=2):
            cells = [_cell_text(v) for v in values]
            if any(c.strip() for c in cells):
                rows.append((line, cells))
    finally:
        book.close()
    return Sheet(path, headers, rows, "xlsx")


def read_sheet(path: Path) -> Sheet:
    return read_xlsx(path) if path.suffix.lower() == ".xlsx" else read_csv(path)


def check_headers(sheet: Sheet, mapping: dict[str, str]) -> None:
    """Refuse a sheet whose required columns are missing, naming them and the --map way out."""
    names = {mapping.get(h.strip(), h.strip()).strip().lower() for h in sheet.headers}
    unknown_targets = sorted(set(mapping.values()) - set(TEMPLATE))
    problems = [RowError(sheet.path.name, 1, t, f"--map target {t!r} is not a template column")
                for t in unknown_targets]
    problems += [
        RowError(sheet.path.name, 1, column,
                 f"required column {column!r} is missing (headers: {', '.join(sheet.headers)}); "
                 f"rename it or use --map 'YOUR HEADER={column}'")
        for column in REQUIRED if column not in names
    ]
    if problems:
        raise ValidationFailed(problems)


def _zip(value: str) -> str | None:
    v = value.strip()
    if not v:
        return None
    if v.isdigit() and len(v) in (3, 4):  # Excel drops leading zeros: 2134 was 02134
        v = v.zfill(5)
    m = _ZIP.match(v)
    if not m:
        raise FieldProblem("zip", f"{value!r} is not a 5-digit ZIP code")
    return m.group(1)


def record_from_row(file: str, line: int, row: dict[str, str], vocab: Vocabulary) -> Record:
    """Turn one template row into a record; every problem is noted with its field, none raised."""
    def get(name: str) -> str:
        return (row.get(name) or "").strip()

    source_id, name = get("id"), get("name")
    organization = get("organization") or name
    record = Record(file, line, source_id, name, organization, "org:" + organization.lower(), raw=None)
    for column in REQUIRED:
        if not get(column):
            record.reject(column, "is required and empty")
    record.description = get("description") or None
    record.url = get("website") or None

    def attempt(fn, *args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        except FieldProblem as p:
            record.reject(p.field_name, p.reason)
            return None

    record.capacity = attempt(parse_capacity, get("capacity"))
    record.confidential = bool(attempt(parse_bool, "confidential", get("confidential")))
    record.hours = attempt(parse_hours, get("hours")) or []
    record.phones = [p for p in (attempt(parse_phone, v) for v in split_multi(get("phone"))) if p]
    for value in split_multi(get("categories")):
        code = vocab.category(value)
        if code is None:
            record.reject("categories", f"unknown category {value!r}")
        elif code not in record.categories:
            record.categories.append(code)
    for value in split_multi(get("stages")):
        code = vocab.stage(value)
        if code is None:
            record.reject("stages", f"unknown stage {value!r}")
        elif code not in record.stages:
            record.stages.append(code)
    record.languages = list(dict.fromkeys(split_multi(get("languages"))))

    state = None
    if get("state"):
        state = vocab.state(get("state"))
        if state is None:
            record.reject("state", f"unknown state {get('state')!r} (use a postal code such as MO)")
    postal = attempt(_zip, get("zip"))
    lat = attempt(parse_coordinate, "latitude", get("latitude"))
    lon = attempt(parse_coordinate, "longitude", get("longitude"))
    if not any(e.field in ("latitude", "longitude") for e in record.errors):
        attempt(check_coordinates, lat, lon)
    place = Place(source_id, name=None, address_1=get("address") or None, city=get("city") or None,
                  state=state, postal_code=postal, confidential=record.confidential)
    if lat is not None and lon is not None:
        place.latitude, place.longitude = lat, lon
        place.precision, place.geocode_source = "rooftop", "source"
    record.places.append(place)
    return record


def records_from_sheet(sheet: Sheet, mapping: dict[str, str], vocab: Vocabulary) -> list[Record]:
    """Every row as a record; a repeated id is rejected, naming the line that has it first."""
    check_headers(sheet, mapping)
    seen: dict[str, int] = {}
    records = []
    for line, row, cells in sheet.as_dicts(mapping):
        record = record_from_row(sheet.path.name, line, row, vocab)
        record.raw = cells
        if record.source_id:
            first = seen.setdefault(record.source_id, line)
            if first != line:
                record.reject("id", f"duplicate id {record.source_id!r} (first on line {first})")
        records.append(record)
    return records


def rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects{path.suffix}")


def write_rejects(sheet: Sheet, rejected: list[Record]) -> Path:
    """The rejected rows, as they were, with a `reject_reason` column: fix them and import again."""
    out = rejects_path(sheet.path)
    headers = [h for h in sheet.headers if h.strip().lower() != REJECT_COLUMN] + [REJECT_COLUMN]
    keep = [i for i, h in enumerate(sheet.headers) if h.strip().lower() != REJECT_COLUMN]
    rows = []
    for r in rejected:
        cells = list(r.raw) if isinstance(r.raw, list) else []
        cells += [""] * (len(sheet.headers) - len(cells))
        reason = "; ".join(f"{e.field}: {e.reason}" for e in r.errors)
        rows.append([cells[i] for i in keep] + [reason])
    if sheet.encoding == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        ws = book.active
        assert ws is not None
        ws.append(headers)
        for row in rows:
            ws.append(row)
        book.save(out)
    else:
        encoding = sheet.encoding if sheet.encoding != "latin-1" else "latin-1"
        with out.open("w", newline="", encoding=encoding, errors="replace") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            writer.writerows(rows)
    return out


def template_row(record: Record) -> dict[str, str]:
    """A record as a template row (for `atlas export --format csv`)."""
    place = record.places[0] if record.places else Place(record.source_id)
    def num(v: float | None) -> str:
        return "" if v is None else repr(float(v))
    return {
        "id": record.source_id, "name": record.name, "organization": record.organization,
        "address": place.address_1 or "", "city": place.city or "", "state": place.state or "",
        "zip": place.postal_code or "",
        "phone": "; ".join(p.number + (f" x{p.extension}" if p.extension else "") for p in record.phones),
        "website": record.url or "", "categories": "; ".join(record.categories),
        "stages": "; ".join(record.stages), "languages": "; ".join(record.languages),
        "capacity": "" if record.capacity is None else str(record.capacity),
        "hours": format_hours(record.hours),
        "latitude": num(place.latitude), "longitude": num(place.longitude),
        "confidential": "yes" if record.confidential else "no",
        "description": record.description or "",
    }
