"""One import, start to end: read, validate, place, write — in one transaction."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.types.json import Jsonb

from geo.copies import sync_copies
from geo.db import Connection, query
from geo.errors import BadRequest, RowError
from geo.geocode import AddressQuery, Cascade, GeocoderSettings, StateShapes, state_problem
from geo.importer import hsds, sheet
from geo.importer.apply import (
    Progress,
    existing_hashes,
    no_progress,
    recognise_our_ids,
    write_records,
)
from geo.importer.records import Loaded, Record
from geo.vocabulary import Vocabulary


@dataclass
class ImportOptions:
    source: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    all_or_nothing: bool = False
    write_rejects: bool = True
    geocoder: GeocoderSettings | None = None
    # The file is the source's whole directory: its services the file no longer lists are retired.
    retire_missing: bool = False


@dataclass
class ImportReport:
    path: Path
    source: str
    format: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    retired: int = 0
    geocoded: dict[str, int] = field(default_factory=dict)  # precision -> places written
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejects_file: Path | None = None
    run_id: int | None = None
    committed: bool = False
    dry_run: bool = False

    def summary(self) -> dict[str, object]:
        return {"read": self.read, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected, "retired": self.retired,
                "geocoded": self.geocoded, "format": self.format}

    def one_line(self) -> str:
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.geocoded.items())) or "none"
        if self.committed:
            verdict = "imported"
        elif self.dry_run:
            verdict = "dry run, nothing written"
        else:
            verdict = "NOTHING written (--all-or-nothing and rows were rejected)"
        return (f"{self.path.name} → {self.source}: {verdict}: read {self.read}, inserted {self.inserted}, "
                f"updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"
                f"{f', retired {self.retired}' if self.retired else ''}; placed: {by}")


class _Rollback(Exception):
    """Leave the import's transaction without a trace (dry run, or all-or-nothing with rejects)."""


def load(path: Path, options: ImportOptions, vocab: Vocabulary, progress: Progress = no_progress) -> Loaded:
    """Choose the reader by what PATH is: an HSDS package, HSDS JSON, or a spreadsheet."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise BadRequest(f"{path} does not exist")
    if path.is_dir() or suffix == ".zip":
        return hsds.load_package(path, vocab)
    if suffix in (".json", ".ndjson", ".jsonl"):
        return hsds.load_json(path, vocab)
    if suffix in (".csv", ".xlsx", ".txt"):
        data = sheet.read_sheet(path)
        records = sheet.records_from_sheet(data, options.mapping, vocab,
                                           progress("Checking rows", len(data.rows)))
        return Loaded("xlsx" if data.encoding == "xlsx" else f"csv ({data.encoding})", records,
                      lambda rejected: sheet.write_rejects(data, rejected))
    raise BadRequest(f"{path.name}: not an import format (CSV, XLSX, HSDS folder/.zip, JSON or NDJSON)")


def check_points_in_state(records: list[Record], shapes: StateShapes) -> None:
    """Given coordinates must fall in the state the address names (swapped ones are called so)."""
    by_state: dict[str, list[tuple[Record, int]]] = defaultdict(list)
    for r in records:
        for i, p in enumerate(r.places):
            if p.has_point and p.state and p.geocode_source == "source":
                by_state[p.state].append((r, i))
    for state, items in by_state.items():
        places = [r.places[i] for r, i in items]
        inside = shapes.contains_many(state, (p.longitude or 0.0 for p in places),
                                      (p.latitude or 0.0 for p in places))
        for (r, _), p, ok in zip(items, places, inside, strict=True):
            if not ok and (reason := state_problem(shapes, state, p.latitude or 0.0, p.longitude or 0.0)):
                r.reject("latitude", reason, p.origin)


def place_records(records: list[Record], cascade: Cascade, progress: Progress, *, require_point: bool) -> None:
    """Geocode every place without coordinates through the cascade; unplaceable rows are rejected
    when the format promises a place (spreadsheets), else kept without a point."""
    todo = [(r, p) for r in records for p in r.places
            if not p.has_point and (p.address_1 or p.city or p.postal_code)]
    if todo:
        advance = progress("Geocoding", len(todo))
        outcomes = cascade.geocode_many(
            [AddressQuery(p.address_1, p.city, p.state, p.postal_code) for _, p in todo], advance=advance)
        for (r, p), o in zip(todo, outcomes, strict=True):
            if o.result is None:
                r.reject("address", f"could not be placed in {p.state or 'its state'}: {o.reason}", p.origin)
                continue
            p.latitude, p.longitude = o.result.latitude, o.result.longitude
            p.precision, p.geocode_source = o.result.precision, o.result.source
    if require_point:
        for r in records:
            for p in r.places:
                if not p.has_point and not r.errors:
                    r.reject("address", "no coordinates and no address, city or ZIP to place it by")


def import_path(conn: Connection, path: Path, options: ImportOptions | None = None,
                progress: Progress = no_progress) -> ImportReport:
    """Import PATH as one transaction; returns what happened (and why rows were rejected)."""
    options = options or ImportOptions()
    source = options.source or path.stem
    vocab = Vocabulary.load(conn)
    loaded = load(path, options, vocab, progress)
    report = ImportReport(path, source, loaded.format, read=len(loaded.records), notes=list(loaded.notes),
                          dry_run=options.dry_run)
    try:
        with conn.transaction():
            run = conn.execute(
                "INSERT INTO import_run (source, path, kind) VALUES (%s, %s, 'import') RETURNING id",
                [source, str(path)],
            ).fetchone()
            assert run is not None
            report.run_id = run["id"]
            _import(conn, loaded, source, report, options, progress)
            conn.execute(
                "UPDATE import_run SET status = 'done', finished_at = now(), summary = %s WHERE id = %s",
                [Jsonb(report.summary()), report.run_id],
            )
            if options.dry_run or (options.all_or_nothing and report.rejected):
                raise _Rollback
            report.committed = True
    except _Rollback:
        report.committed = False
    rejected = [r for r in loaded.records if r.errors]
    if rejected and options.write_rejects and not options.dry_run:
        report.rejects_file = loaded.write_rejects(rejected)
    return report


def _import(conn: Connection, loaded: Loaded, source: str, report: ImportReport,
            options: ImportOptions, progress: Progress) -> None:
    records = loaded.records
    valid = [r for r in records if not r.errors]
    recognise_our_ids(conn, source, valid)
    known = existing_hashes(conn, source, [r.source_id for r in valid])
    fresh = []
    for r in valid:
        if r.source_id in known and known[r.source_id] == r.fingerprint():
            report.unchanged += 1
        else:
            fresh.append(r)
    shapes = StateShapes(conn)
    check_points_in_state(fresh, shapes)
    place_records([r for r in fresh if not r.errors], Cascade(conn, options.geocoder, shapes), progress,
                  require_point=not loaded.format.startswith("hsds"))
    to_write = [r for r in fresh if not r.errors]
    write_records(conn, source, report.run_id or 0, to_write, progress)
    if options.retire_missing:
        report.retired = _retire_missing(conn, source, report.run_id or 0, records, report)
    advance = progress("Updating nearby search and maps", 1)
    sync_copies(conn)  # the triggers would at COMMIT; now, so the progress shows where the time goes
    advance(1)
    report.inserted = sum(1 for r in to_write if r.source_id not in known)
    report.updated = len(to_write) - report.inserted
    report.geocoded = dict(Counter(p.precision or "none" for r in to_write for p in r.places))
    report.errors = [e for r in records for e in r.errors]
    report.rejected = sum(1 for r in records if r.errors)


def _retire_missing(conn: Connection, source: str, run_id: int, records: list[Record],
                    report: ImportReport) -> int:
    """Retire the source's services this file no longer lists. A rejected row still lists its
    service (a typo must not take a service off the map), and a file with no valid row retires
    nothing (it is more likely the wrong file than an empty directory)."""
    if not any(not r.errors for r in records):
        report.notes.append("--retire-missing: no valid row in the file, so nothing was retired")
        return 0
    listed = sorted({r.source_id for r in records if r.source_id})
    retired = conn.execute(query("import_retire_missing"),
                           {"source": source, "run_id": run_id, "listed": listed}).fetchall()
    return len(retired)
