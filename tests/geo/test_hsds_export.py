"""`atlas export --format hsds` against the official HSDS 3.0 schemas (tests/hsds3.py): every record
of a tabular package (through its datapackage.json) and of a JSON export validates; the package
describes its files as the official datapackage.json does; and the official examples import with
every rejection at its file, row and field, with a reason a person can act on."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from geo.errors import BadRequest
from geo.importer import ImportOptions, import_path
from geo.importer.export import export, read_records
from geo.importer.hsds_export import as_exported
from tests.hsds3 import EXAMPLES, all_errors, package_files, tabular_errors

PACKAGE = Path(__file__).parent / "fixtures" / "hsds_package"


@pytest.fixture
def db(conn):
    conn.execute("SELECT 1")  # a transaction is open: imports nest in a savepoint, rolled back
    return conn


def _imported(db, tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "directory")
    import_path(db, tmp_path / "directory", ImportOptions(source="directory", write_rejects=False))


def test_every_row_of_an_exported_package_validates_through_its_datapackage(db, tmp_path):
    _imported(db, tmp_path)
    for source in ("directory", "sample"):  # a small real-shaped one, and all 3,000 sample services
        export(db, "hsds", tmp_path / source, source=source)
        files = package_files(tmp_path / source)
        assert tabular_errors(files) == [], source
        assert len(files["services.csv"].splitlines()) > 3
    export(db, "hsds", tmp_path / "out.zip", source="directory")
    with zipfile.ZipFile(tmp_path / "out.zip") as z:
        assert tabular_errors({n: z.read(n).decode() for n in z.namelist()}) == []


def test_the_datapackage_declares_each_field_as_the_official_one_does(db, tmp_path):
    _imported(db, tmp_path)
    export(db, "hsds", tmp_path / "out", source="directory")
    ours = json.loads((tmp_path / "out" / "datapackage.json").read_text())
    official = {r["name"]: {f["name"]: f for f in r["schema"]["fields"]}
                for r in json.loads((EXAMPLES / "csv" / "datapackage.json").read_text())["resources"]}
    for resource in ours["resources"]:
        for f in resource["schema"]["fields"]:
            theirs = official[resource["name"]][f["name"]]
            assert (f["type"], f.get("format")) == (theirs["type"], theirs.get("format")), (resource["name"], f)
            assert f["constraints"]["required"] == theirs["constraints"]["required"], (resource["name"], f)


def test_json_export_validates_and_imports_back_as_the_same_records(db, tmp_path):
    _imported(db, tmp_path)
    for name in ("out.json", "out.ndjson"):
        export(db, "hsds", tmp_path / name, source="directory")
    objects = json.loads((tmp_path / "out.json").read_text())
    assert len(objects) == 3 and all_errors("service", objects) == []
    lines = [json.loads(line) for line in (tmp_path / "out.ndjson").read_text().splitlines()]
    assert lines == objects
    sample = tmp_path / "sample.json"
    export(db, "hsds", sample, source="sample")
    assert all_errors("service", json.loads(sample.read_text())) == []
    report = import_path(db, tmp_path / "out.json", ImportOptions(source="from-json", write_rejects=False))
    assert (report.inserted, report.rejected) == (3, 0), report.errors
    expected = sorted(map(as_exported, read_records(db, source="directory")), key=lambda r: r.source_id)
    assert read_records(db, source="from-json") == expected
    # Into the source it came from: the ids are recognised as that source's, nothing changes.
    again = import_path(db, tmp_path / "out.json", ImportOptions(source="directory", write_rejects=False))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


OFFICIAL_PACKAGE_REASONS = {
    ("schedules.csv", 2, "bymonthday",
     "'2,3,4' are days of the month, which need freq MONTHLY (this rule is WEEKLY): drop bymonthday or "
     "make the rule MONTHLY"),
    ("addresses.csv", 2, "state_province", "unknown state 'MyState'"),
    ("locations.csv", 2, "latitude", "100.0 is out of range (-90..90)"),
    ("service_areas.csv", 2, "extent",
     "'extent' is not GeoJSON geometry (give a Polygon or MultiPolygon in GeoJSON)"),
}


def test_the_official_example_package_is_rejected_at_each_file_row_and_field(db, tmp_path):
    """Its coordinates (latitude 100) and state ('MyState') are placeholders, and its schedule
    mixes a weekly rule with days of the month: each is said where it is."""
    shutil.copytree(EXAMPLES / "csv", tmp_path / "official")
    report = import_path(db, tmp_path / "official", ImportOptions(write_rejects=False))
    assert (report.read, report.rejected) == (1, 1)
    assert {(e.file, e.line, e.field, e.reason) for e in report.errors} == OFFICIAL_PACKAGE_REASONS


def test_the_official_json_examples_are_rejected_at_each_object_and_field(db, tmp_path):
    for name in ("service_full", "organization_full", "service_at_location_full", "location", "taxonomy_term"):
        shutil.copy(EXAMPLES / f"{name}.json", tmp_path / f"{name}.json")
    report = import_path(db, tmp_path / "service_full.json", ImportOptions(write_rejects=False))
    found = {(e.file, e.line, e.field) for e in report.errors}
    assert found == {
        ("service_full.json", 1, "schedules[0].bymonthday"),
        ("service_full.json", 1, "service_at_locations[0].schedules[0].bymonthday"),
        ("service_full.json", 1, "service_at_locations[0].location.schedules[0].bymonthday"),
        ("service_full.json", 1, "service_at_locations[0].location.addresses[0].state_province"),
        ("service_full.json", 1, "service_at_locations[0].location.latitude"),
        ("service_full.json", 1, "service_areas[0].extent"),
    }
    # An organization with its services, and a service at a location, are read as their services.
    for name in ("organization_full", "service_at_location_full"):
        report = import_path(db, tmp_path / f"{name}.json", ImportOptions(write_rejects=False))
        assert report.read >= 1 and report.errors
        assert all(e.file == f"{name}.json" and e.line == 1 and e.reason for e in report.errors)
        assert not any(e.field == "organization_id" for e in report.errors), report.errors
    for name, what in (("location", "a location"), ("taxonomy_term", "a taxonomy term")):
        with pytest.raises(BadRequest, match=f"{name}.json:1: this is {what}, not a service"):
            import_path(db, tmp_path / f"{name}.json", ImportOptions(write_rejects=False))
