"""One-sheet spreadsheets (CSV or XLSX) in the documented template, read into records; rejected
rows written back beside the input in the same format, with the reason, to fix and re-import."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from geo.errors import BadRequest, RowError, ValidationFailed
from geo.fields import (
    FieldProblem,
    check_coordinates,
    format_hours,
    parse_assured_date,
    parse_assurer_email,
    parse_bool,
    parse_capacity,
    parse_coordinate,
    parse_hours,
    parse_phone,
    split_multi,
)
from geo.importer.records import Place, Record
from geo.languages import find_language, language_label
from geo.vocabulary import Vocabulary

TEMPLATE = ["id", "name", "organization", "address", "city", "state", "zip", "phone", "website",
            "categories", "stages", "languages", "capacity", "hours", "latitude", "longitude",
            "confidential", "description"]
# Optional columns: when the listing was last confirmed and by whom (HSDS assured_date, assurer_email,
# which are accepted as their names too).
OPTIONAL = ["verified", "verified_by"]
OPTIONAL_ALIASES = {"assured_date": "verified", "assurer_email": "verified_by"}
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
    unknown_targets = sorted(set(mapping.values()) - set(TEMPLATE) - set(OPTIONAL) - set(OPTIONAL_ALIASES))
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


Problems = tuple[tuple[str, str], ...]  # (field, reason) pairs


def _cached(fn):  # type: ignore[no-untyped-def]
    """Memoise a cell parser: sheets repeat the same categories, hours and states row after row."""
    @functools.cache
    def run(*args: str) -> tuple[object, Problems]:
        try:
            return fn(*args), ()
        except FieldProblem as p:
            return None, ((p.field_name, p.reason),)
    return run


_capacity = _cached(parse_capacity)
_hours = _cached(parse_hours)
_zip_code = _cached(lambda v: _zip(v))
_coordinate = _cached(parse_coordinate)
_bool = _cached(parse_bool)


@functools.cache
def _languages(cell: str) -> tuple[tuple[str, ...], Problems]:
    """ISO 639 codes from codes or names ("English; español" → en, es)."""
    codes: list[str] = []
    problems = []
    for value in split_multi(cell):
        try:
            code = find_language(value).code
        except FieldProblem as p:
            problems.append((p.field_name, p.reason))
            continue
        if code not in codes:
            codes.append(code)
    return tuple(codes), tuple(problems)


@functools.cache
def _terms(kind: str, cell: str, vocab: Vocabulary) -> tuple[tuple[str, ...], Problems]:
    lookup = vocab.category if kind == "categories" else vocab.stage
    word = "category" if kind == "categories" else "stage"
    codes: list[str] = []
    problems = []
    for value in split_multi(cell):
        code = lookup(value)
        if code is None:
            problems.append((kind, f"unknown {word} {value!r}"))
        elif code not in codes:
            codes.append(code)
    return tuple(codes), tuple(problems)


def record_from_row(file: str, line: int, row: dict[str, str], vocab: Vocabulary) -> Record:
    """Turn one template row into a record; every problem is noted with its field, none raised."""
    get = {k: (v or "").strip() for k, v in row.items()}.get
    source_id, name = get("id", ""), get("name", "")
    organization = get("organization", "") or name
    record = Record(file, line, source_id, name, organization, "org:" + organization.lower(), raw=None)
    problems: list[tuple[str, str]] = [(c, "is required and empty") for c in REQUIRED if not get(c, "")]
    record.description = get("description") or None
    record.url = get("website") or None

    capacity, p1 = _capacity(get("capacity", ""))
    confidential, p2 = _bool("confidential", get("confidential", ""))
    hours, p3 = _hours(get("hours", ""))
    categories, p4 = _terms("categories", get("categories", ""), vocab)
    stages, p5 = _terms("stages", get("stages", ""), vocab)
    postal, p6 = _zip_code(get("zip", ""))
    lat, p7 = _coordinate("latitude", get("latitude", ""))
    lon, p8 = _coordinate("longitude", get("longitude", ""))
    problems += [*p1, *p2, *p3]
    for value in split_multi(get("phone", "")):
        try:
            record.phones.append(parse_phone(value))
        except FieldProblem as p:
            problems.append((p.field_name, p.reason))
    problems += [*p4, *p5]
    record.capacity = capacity  # type: ignore[assignment]
    record.confidential = bool(confidential)
    record.hours = list(hours or [])  # type: ignore[call-overload]
    record.categories, record.stages = list(categories), list(stages)
    languages, p9 = _languages(get("languages", ""))
    problems += p9
    record.languages = list(languages)
    for column, parse, attribute in (("verified", parse_assured_date, "assured_date"),
                                     ("verified_by", parse_assurer_email, "assurer_email")):
        try:
            setattr(record, attribute, parse(column, _optional(get, column)))
        except FieldProblem as p:
            problems.append((p.field_name, p.reason))

    state = None
    if get("state"):
        state = vocab.state(get("state", ""))
        if state is None:
            problems.append(("state", f"unknown state {get('state')!r} (use a postal code such as MO)"))
    problems += [*p6, *p7, *p8]
    if not p7 and not p8:
        try:
            check_coordinates(lat, lon)  # type: ignore[arg-type]
        except FieldProblem as p:
            problems.append((p.field_name, p.reason))
    place = Place(source_id, name=None, address_1=get("address") or None, city=get("city") or None,
                  state=state, postal_code=postal, confidential=record.confidential)  # type: ignore[arg-type]
    if lat is not None and lon is not None:
        place.latitude, place.longitude = lat, lon  # type: ignore[assignment]
        place.precision, place.geocode_source = "rooftop", "source"
    record.places.append(place)
    for field_name, reason in problems:
        record.reject(field_name, reason)
    record.import_hash = _row_hash(get)
    return record


def _optional(get: Callable[[str, str], str], column: str) -> str:
    """An optional column's cell, by its name or its HSDS name."""
    return get(column, "") or next((get(a, "") for a, c in OPTIONAL_ALIASES.items() if c == column and get(a, "")), "")


def _row_hash(get: Callable[[str, str], str]) -> str:
    """What the source said in this row (template columns, and optional ones only when given, so
    neither moving rows nor adding an empty optional column changes anything)."""
    cells = [get(c, "") for c in TEMPLATE] + [f"{c}={v}" for c in OPTIONAL if (v := _optional(get, c))]
    return hashlib.blake2b("\x1f".join(cells).encode(), digest_size=16).hexdigest()


def records_from_sheet(sheet: Sheet, mapping: dict[str, str], vocab: Vocabulary,
                       advance: Callable[[int], None] | None = None) -> list[Record]:
    """Every row as a record; a repeated id is rejected, naming the line that has it first."""
    check_headers(sheet, mapping)
    seen: dict[str, int] = {}
    records = []
    for n, (line, row, cells) in enumerate(sheet.as_dicts(mapping), start=1):
        if advance and n % 1000 == 0:
            advance(1000)
        record = record_from_row(sheet.path.name, line, row, vocab)
        record.raw = cells
        if record.source_id:
            first = seen.setdefault(record.source_id, line)
            if first != line:
                record.reject("id", f"duplicate id {record.source_id!r} (first on line {first})")
        records.append(record)
    if advance:
        advance(len(records) % 1000)
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
        "stages": "; ".join(record.stages), "languages": "; ".join(map(language_label, record.languages)),
        "capacity": "" if record.capacity is None else str(record.capacity),
        "hours": format_hours(record.hours),
        "latitude": num(place.latitude), "longitude": num(place.longitude),
        "confidential": "yes" if record.confidential else "no",
        "description": record.description or "",
    }
