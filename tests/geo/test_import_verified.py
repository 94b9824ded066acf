"""Verification dates (HSDS assured_date, assurer_email) arrive with imports: sheet columns
`verified`/`verified_by` (or their HSDS names) and HSDS feeds; bad or future dates are rejected at
their row; adding the columns changes no existing row's hash; the latest confirmation wins."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from geo.importer import ImportOptions, import_path
from geo.importer.sheet import Sheet, records_from_sheet
from geo.vocabulary import Vocabulary

HEADER = "id,name,organization,address,city,state,zip,phone,categories,latitude,longitude"
ROW = "v-{n},Verified Center {n},Verified Org,100 Main St,Columbia,MO,65201,573-882-1234,food,38.9517,-92.3341"


@pytest.fixture
def db(conn):
    conn.execute("SELECT 1")
    return conn


def _assured(db, source: str) -> dict[str, tuple]:
    return {r["source_id"]: (r["assured_date"], r["assurer_email"]) for r in db.execute(
        "SELECT source_id, assured_date, assurer_email FROM service WHERE source = %s", [source])}


def test_sheet_columns_carry_the_verification_and_bad_dates_are_rejected_at_their_row(db, tmp_path):
    future = (date.today() + timedelta(days=3)).isoformat()
    path = tmp_path / "verified.csv"
    path.write_text("\n".join([
        HEADER + ",verified,verified_by",
        ROW.format(n=1) + ",2026-03-15,checker@example.org",
        ROW.format(n=2) + ",3/1/2025,",
        ROW.format(n=3) + ",,",
        ROW.format(n=4) + ",yesterday,",
        ROW.format(n=5) + f",{future},",
        ROW.format(n=6) + ",2026-01-02,not an email",
    ]) + "\n")
    report = import_path(db, path, ImportOptions(write_rejects=False))
    assert report.inserted == 3
    assert {(e.line, e.field, e.reason) for e in report.errors} == {
        (5, "verified", "'yesterday' is not a date (use YYYY-MM-DD)"),
        (6, "verified", f"{future!r} is in the future"),
        (7, "verified_by", "'not an email' is not an e-mail address"),
    }
    assert _assured(db, "verified") == {"v-1": (date(2026, 3, 15), "checker@example.org"),
                                        "v-2": (date(2025, 3, 1), None), "v-3": (None, None)}
    # Importing the same file again changes nothing.
    assert import_path(db, path, ImportOptions(write_rejects=False)).unchanged == 3


def test_hsds_names_work_as_sheet_columns_and_empty_optional_columns_keep_every_row_hash(db, tmp_path):
    vocab = Vocabulary.load(db)

    def hashes(header: str, rows: list[str]) -> list[str | None]:
        sheet = Sheet(tmp_path / "x.csv", header.split(","), [(i + 2, r.split(",")) for i, r in enumerate(rows)],
                      "utf-8")
        return [r.import_hash for r in records_from_sheet(sheet, {}, vocab)]

    plain = hashes(HEADER, [ROW.format(n=1)])
    assert hashes(HEADER + ",verified,verified_by", [ROW.format(n=1) + ",,"]) == plain
    assert hashes(HEADER + ",assured_date,assurer_email", [ROW.format(n=1) + ",,"]) == plain
    dated = hashes(HEADER + ",assured_date", [ROW.format(n=1) + ",2026-03-15"])
    assert dated != plain and dated == hashes(HEADER + ",verified", [ROW.format(n=1) + ",2026-03-15"])


def test_hsds_feed_assured_date_and_the_latest_confirmation_wins(db, tmp_path):
    def feed(assured: str, name: str = "Pantry") -> str:
        svc = {"id": "h-1", "name": name, "organization": {"id": "o", "name": "Org"},
               "assured_date": assured, "assurer_email": "feed@example.org",
               "service_at_locations": [{"location": {"id": "l-1", "latitude": 38.95, "longitude": -92.33,
                                                      "addresses": [{"address_1": "1 Elm St", "city": "Columbia",
                                                                     "state_province": "MO",
                                                                     "postal_code": "65201"}]}}]}
        path = tmp_path / "feed.json"
        path.write_text(json.dumps([svc]))
        return str(path)

    from pathlib import Path

    assert import_path(db, Path(feed("2025-06-01"))).inserted == 1
    assert _assured(db, "feed") == {"h-1": (date(2025, 6, 1), "feed@example.org")}
    # An editor confirms it later; the next feed (changed, but with the older date) keeps that.
    db.execute("UPDATE service SET assured_date = '2026-02-01', assurer_email = NULL WHERE source = 'feed'")
    assert import_path(db, Path(feed("2025-06-01", name="Pantry (renamed)"))).updated == 1
    assert _assured(db, "feed") == {"h-1": (date(2026, 2, 1), None)}
    # A feed saying of a newer confirmation wins.
    assert import_path(db, Path(feed("2026-02-20"))).updated == 1
    assert _assured(db, "feed") == {"h-1": (date(2026, 2, 20), "feed@example.org")}


def test_verification_dates_leave_with_hsds_exports_valid_and_come_back(db, tmp_path):
    from geo.importer.export import export
    from tests.hsds3 import all_errors, package_files, tabular_errors

    path = tmp_path / "verified.csv"
    path.write_text(HEADER + ",verified,verified_by\n" + ROW.format(n=1) + ",2026-03-15,checker@example.org\n")
    import_path(db, path, ImportOptions(write_rejects=False))
    export(db, "hsds", tmp_path / "out", source="verified")
    services = (tmp_path / "out" / "services.csv").read_text()
    assert "2026-03-15" in services and "checker@example.org" in services
    assert tabular_errors(package_files(tmp_path / "out")) == []
    export(db, "hsds", tmp_path / "out.json", source="verified")
    objects = json.loads((tmp_path / "out.json").read_text())
    assert objects[0]["assured_date"] == "2026-03-15" and all_errors("service", objects) == []
    report = import_path(db, tmp_path / "out", ImportOptions(source="verified-again", write_rejects=False))
    assert report.inserted == 1 and list(_assured(db, "verified-again").values()) == [
        (date(2026, 3, 15), "checker@example.org")]
