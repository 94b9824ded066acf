"""`atlas export`: what goes out comes back in, and a confidential location never leaves with a point."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from geo.ids import record_id
from geo.importer import ImportOptions, import_path
from geo.importer.export import Exported, export, read_records

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db(conn):
    conn.execute("SELECT 1")
    return conn


@pytest.fixture
def imported(db, tmp_path):
    shutil.copy(FIXTURES / "messy.csv", tmp_path / "messy.csv")
    import_path(db, tmp_path / "messy.csv", ImportOptions(source="sheet"))
    return db


def _without_hidden_place(records):
    """Confidential services leave without point or street, so those come back re-geocoded."""
    return [replace(r, places=[]) if r.confidential else r for r in records]


def test_sheet_import_export_import_gives_identical_records(imported, tmp_path):
    out = tmp_path / "export.csv"
    assert export(imported, "csv", out, source="sheet") == Exported(6)  # nothing left out
    report = import_path(imported, out, ImportOptions(source="sheet-again"))
    assert (report.inserted, report.rejected) == (6, 0), report.errors
    first, second = read_records(imported, source="sheet"), read_records(imported, source="sheet-again")
    assert _without_hidden_place(second) == _without_hidden_place(first)
    # The geocoded rows went out without coordinates and came back at the same precision.
    assert [p.precision for r in second for p in r.places] == [p.precision for r in first for p in r.places][:5] + ["zip"]


def test_confidential_locations_are_never_exported_with_a_point(imported, tmp_path):
    export(imported, "csv", tmp_path / "out.csv", source="sheet")
    rows = {r["id"]: r for r in csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8"))}
    shelter = rows["ok-6"]
    assert shelter["confidential"] == "yes"
    assert (shelter["latitude"], shelter["longitude"], shelter["address"]) == ("", "", "")
    assert rows["ok-1"]["latitude"] == "38.9517"

    export(imported, "geojson", tmp_path / "out.geojson", source="sheet")
    features = {f["properties"]["service_id"]: f for f in json.loads((tmp_path / "out.geojson").read_text())["features"]}
    assert features["ok-6"]["geometry"] is None and features["ok-6"]["properties"]["address"] is None
    assert features["ok-1"]["geometry"] == {"type": "Point", "coordinates": [-92.3341, 38.9517]}
    assert features["ok-3"]["properties"]["precision"] == "zip"

    export(imported, "hsds", tmp_path / "hsds", source="sheet")
    shelter_id = record_id("sheet", "service", "ok-6")  # HSDS ids are UUIDs: ours, as the API shows them
    sal = {r["service_id"]: r["location_id"] for r in csv.DictReader((tmp_path / "hsds" / "service_at_location.csv").open())}
    locations = {r["id"]: r for r in csv.DictReader((tmp_path / "hsds" / "locations.csv").open())}
    assert (locations[sal[shelter_id]]["latitude"], locations[sal[shelter_id]]["longitude"]) == ("", "")
    addresses = {r["location_id"]: r for r in csv.DictReader((tmp_path / "hsds" / "addresses.csv").open())}
    assert addresses[sal[shelter_id]]["address_1"] == ""
    # Re-imported, it is still confidential.
    import_path(imported, tmp_path / "hsds", ImportOptions(source="hsds-again"))
    again = {r.source_id: r for r in read_records(imported, source="hsds-again")}
    assert again[shelter_id].confidential


def test_export_zip_is_an_hsds_package_the_importer_reads(imported, tmp_path):
    export(imported, "hsds", tmp_path / "out.zip", source="sheet")
    report = import_path(imported, tmp_path / "out.zip", ImportOptions(source="zipped"))
    assert (report.inserted, report.rejected) == (6, 0), report.errors


def test_monthly_sheet_hours_import_as_monthly_rules_and_export_in_the_same_words(db, tmp_path):
    header = ("id,name,organization,address,city,state,zip,phone,website,categories,stages,languages,capacity,"
              "hours,latitude,longitude,confidential,description\n")
    sheet = tmp_path / "pantries.csv"
    sheet.write_text(header + 'm-1,Sample: Monthly pantry,Sample: Org,1 Elm St,Columbia,MO,65201,,,food,,en,,'
                     '"2nd, 4th Sa 10-12; last Fr 13:00-15:00; Mo-Fr 9-17",38.9517,-92.3341,no,\n')
    report = import_path(db, sheet, ImportOptions(source="monthly", write_rejects=False))
    assert (report.inserted, report.rejected) == (1, 0), report.errors
    rows = db.execute("""SELECT freq, byday FROM schedule sc JOIN service s ON s.id = sc.service_id
                         WHERE s.source = 'monthly' ORDER BY sc.id""").fetchall()
    assert [(r["freq"], r["byday"]) for r in rows] == [
        ("MONTHLY", "2SA,4SA"), ("MONTHLY", "-1FR"), ("WEEKLY", "MO,TU,WE,TH,FR")]
    out = tmp_path / "out.csv"
    export(db, "csv", out, source="monthly")
    (row,) = csv.DictReader(out.open())
    assert row["hours"] == "2nd,4th Sa 10:00-12:00; last Fr 13:00-15:00; Mo-Fr 09:00-17:00"
    import_path(db, out, ImportOptions(source="monthly-again", write_rejects=False))
    assert read_records(db, source="monthly-again") == read_records(db, source="monthly")
