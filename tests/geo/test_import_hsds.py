"""HSDS 3 imports (CSV package as folder or .zip, JSON, NDJSON) and the round trip back out."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from geo.fields import Hours
from geo.importer import ImportOptions, import_path
from geo.importer.export import export, read_records
from geo.importer.hsds_export import as_exported

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE = FIXTURES / "hsds_package"
PACKAGE_REASONS = {
    ("phones.csv", 3, "number", "'555-1234' is not a valid phone number"),
    ("service_areas.csv", 4, "extent", "is a LineString, not a Polygon or MultiPolygon"),
    ("services.csv", 8, "organization_id", "no organization with id 'org-9'"),
    ("taxonomy_terms.csv", 4, "code", "unknown category 'underwater-basket-weaving'"),
    ("locations.csv", 5, "latitude", "(38.95, -92.33) is outside MA, the state in the address"),
}


@pytest.fixture
def db(conn):
    conn.execute("SELECT 1")  # a transaction is open: imports nest in a savepoint, rolled back
    return conn


def _package(tmp_path: Path) -> Path:
    target = tmp_path / "directory"
    shutil.copytree(PACKAGE, target)
    return target


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as z:
        for f in sorted(folder.glob("*.csv")):
            z.write(f, f.name)
    return target


def test_hsds_package_reports_each_bad_row_at_its_own_file_and_line_and_keeps_the_rest(db, tmp_path):
    report = import_path(db, _package(tmp_path))
    assert {(e.file, e.line, e.field, e.reason) for e in report.errors} == PACKAGE_REASONS
    assert (report.read, report.inserted, report.rejected) == (8, 3, 5)
    assert [r.source_id for r in read_records(db, source="directory")] == ["svc-1", "svc-2", "svc-3"]
    assert "service_areas.csv:3: extent: invalid polygon (Self-intersection[-92.3 38.95]) was made valid" in report.notes
    assert "ignored 1 taxonomy terms outside the Upstream Atlas taxonomy: AIRS:BD-1800" in report.notes


def test_hsds_details_land_in_the_schema(db, tmp_path):
    import_path(db, _package(tmp_path))
    svc1, svc2, svc3 = read_records(db, source="directory")
    assert svc1.description == "Help for families,\nwalk-ins welcome"
    assert svc1.categories == ["family-resource-center"] and svc2.stages == ["court"]
    assert [p.number for p in svc1.phones] == ["(573) 882-1234"]
    assert svc1.languages == ["es"] and svc1.hours[0].byday == "MO,TU,WE,TH,FR"
    # One location shared by two services is one row; the annex without coordinates is geocoded.
    assert [(p.source_id, p.precision) for p in svc2.places] == [("loc-1", "rooftop"), ("loc-3", "zip")]
    n = db.execute("SELECT count(*) AS n FROM location WHERE source = 'directory' AND source_id = 'loc-1'")
    assert n.fetchone()["n"] == 1
    assert svc3.places[0].state == "MA"


def test_languages_by_name_or_code_are_stored_as_iso_639_codes_and_unknown_ones_rejected_at_their_row(
        db, tmp_path):
    package = _package(tmp_path)
    (package / "languages.csv").write_text(
        "id,service_id,name,code\n"
        "lang-1,svc-1,Spanish,\n"
        "lang-2,svc-1,Kreyòl,\n"
        "lang-3,svc-2,,VI\n"
        "lang-4,svc-2,American Sign Language,xx\n"
        "lang-5,svc-3,Klingonese,\n", encoding="utf-8")
    report = import_path(db, package)
    assert ("languages.csv", 6, "name",
            "unknown language 'Klingonese' (use an ISO 639 code such as es or a name such as Spanish)") in {
        (e.file, e.line, e.field, e.reason) for e in report.errors}
    stored = db.execute(
        """SELECT s.source_id, l.code, l.name FROM language l JOIN service s ON s.id = l.service_id
           WHERE s.source = 'directory' ORDER BY s.source_id, l.id""").fetchall()
    assert [(r["source_id"], r["code"], r["name"]) for r in stored] == [
        ("svc-1", "es", "Spanish"), ("svc-1", "ht", "Haitian Creole"),
        ("svc-2", "vi", "Vietnamese"), ("svc-2", "ase", "American Sign Language")]
    assert "svc-3" not in [r.source_id for r in read_records(db, source="directory")]


def test_json_languages_by_name_are_codes(db, tmp_path):
    feed = tmp_path / "feed.json"
    svc = {"id": "j-lang", "name": "Habla Center", "organization": {"id": "o-lang", "name": "Habla Org"},
           "languages": [{"name": "español"}, {"code": "en", "name": "English"}],
           "service_at_locations": [{"location": {"id": "l-lang", "latitude": 38.9517, "longitude": -92.3341,
                                                  "addresses": [{"address_1": "1 Elm St", "city": "Columbia",
                                                                 "state_province": "MO", "postal_code": "65201"}]}}]}
    feed.write_text(json.dumps([svc]))
    report = import_path(db, feed, ImportOptions(write_rejects=False))
    assert report.rejected == 0, report.errors
    (record,) = read_records(db, source="feed")
    assert record.languages == ["es", "en"]


def test_service_areas_are_made_valid_and_linked_to_the_regions_they_cover(db, tmp_path):
    import_path(db, _package(tmp_path))
    rows = db.execute(
        """SELECT sa.source_id, ST_IsValid(sa.geom) AS valid, array_agg(r.kind || ':' || r.code ORDER BY r.kind, r.code) AS regions
           FROM service_area sa JOIN service s ON s.id = sa.service_id
           LEFT JOIN service_area_region x ON x.service_area_id = sa.id LEFT JOIN region r ON r.id = x.region_id
           WHERE s.source = 'directory' GROUP BY sa.source_id, sa.geom ORDER BY 1"""
    ).fetchall()
    assert [r["source_id"] for r in rows] == ["area-1", "area-2"]
    assert all(r["valid"] for r in rows)
    around_columbia = rows[0]["regions"]
    assert "county:29019" in around_columbia and "state:29" in around_columbia  # Boone County, Missouri
    assert any(code.startswith("circuit:") for code in around_columbia)
    assert not any(code.startswith("state:25") for code in around_columbia)


def test_hsds_zip_imports_like_the_folder_and_its_rejects_are_a_zip(db, tmp_path):
    path = _zip(PACKAGE, tmp_path / "directory.zip")
    report = import_path(db, path)
    assert {(e.file, e.line, e.field, e.reason) for e in report.errors} == PACKAGE_REASONS
    assert report.rejects_file == tmp_path / "directory.rejects.zip"
    with zipfile.ZipFile(report.rejects_file) as z:
        services = list(csv.DictReader(z.read("services.csv").decode().splitlines()))
        phones = list(csv.DictReader(z.read("phones.csv").decode().splitlines()))
    assert sorted(s["id"] for s in services) == ["svc-4", "svc-5", "svc-6", "svc-7", "svc-8"]
    assert [p["id"] for p in phones] == ["ph-2"]
    broken = next(s for s in services if s["id"] == "svc-4")
    assert broken["reject_reason"] == "phones.csv:3: number: '555-1234' is not a valid phone number"


def test_hsds_json_and_ndjson_service_objects_import_the_same_records(db, tmp_path):
    import_path(db, _package(tmp_path), ImportOptions(source="from-csv"))
    expected = read_records(db, source="from-csv")
    objects = [_service_object(r) for r in expected]
    (tmp_path / "services.json").write_text(json.dumps(objects))
    (tmp_path / "services.ndjson").write_text("".join(json.dumps(o) + "\n" for o in objects))
    for name in ("services.json", "services.ndjson"):
        report = import_path(db, tmp_path / name, ImportOptions(source=name))
        assert (report.inserted, report.rejected) == (3, 0), report.errors
        assert read_records(db, source=name) == expected


SCHEDULES = """id,service_id,freq,byday,bymonthday,opens_at,closes_at,valid_from,valid_to,description
sch-1,svc-1,WEEKLY,"MO,TU,WE,TH,FR",,09:00,17:00,,,
sch-2,svc-1,MONTHLY,"2SA,-1fr",,10:00,12:00,,,Food distribution
sch-3,svc-2,MONTHLY,,"1, 15",13:00,15:00,2026-06-01,2026-08-31,Summer clinic
sch-4,svc-2,,,,,,,,Call for evening hours
sch-5,svc-3,WEEKLY,2SA,,09:00,10:00,,,
sch-6,svc-3,DAILY,MO,,09:00,10:00,,,
sch-7,svc-3,MONTHLY,,32,09:00,10:00,,,
sch-8,svc-3,WEEKLY,MO,,09:00,10:00,June,,
sch-9,svc-3,WEEKLY,MO,,09:00,10:00,2026-08-31,2026-06-01,
sch-10,svc-3,MONTHLY,,,09:00,10:00,,,
sch-11,svc-3,WEEKLY,MO,,9am,10:00,,,
"""


def test_hsds_monthly_and_seasonal_schedules_are_kept_and_bad_rules_reported(db, tmp_path):
    package = _package(tmp_path)
    (package / "schedules.csv").write_text(SCHEDULES)
    report = import_path(db, package)
    schedule_errors = {(e.line, e.field, e.reason) for e in report.errors if e.file == "schedules.csv"}
    assert schedule_errors == {
        (6, "byday", "'2SA' is not a weekly day (like MO, TU)"),
        (7, "freq", "'DAILY' is not WEEKLY or MONTHLY"),
        (8, "bymonthday", "'32' is not a day of the month (1 to 31, or -1 for the last)"),
        (9, "valid_from", "'June' is not a date (YYYY-MM-DD)"),
        (10, "valid_to", "2026-06-01 is before valid_from 2026-08-31"),
        (11, "byday", "no days: give byday (or bymonthday for a monthly rule)"),
        (12, "opens_at", "opens_at/closes_at are not times (HH:MM)"),
    }
    assert report.inserted == 2  # svc-3 is rejected for its schedules; svc-1 and svc-2 keep all of theirs
    svc1, svc2 = read_records(db, source="directory")
    assert svc1.hours == [Hours("MO,TU,WE,TH,FR", "09:00", "17:00"),
                          Hours("2SA,-1FR", "10:00", "12:00", "MONTHLY", description="Food distribution")]
    assert svc2.hours == [Hours("", "13:00", "15:00", "MONTHLY", "1,15", "2026-06-01", "2026-08-31", "Summer clinic")]
    # A sheet cannot hold svc-2's days of the month in a season, and the CSV export says so.
    notes = export(db, "csv", tmp_path / "out.csv", source="directory").notes
    assert notes == ["1 service has hours a sheet cannot hold (days of the month or seasons); they are left "
                     "out of the hours column: use --format hsds to keep them"]
    hours = {r["id"]: r["hours"] for r in csv.DictReader((tmp_path / "out.csv").open())}
    assert hours == {"svc-1": "Mo-Fr 09:00-17:00; 2nd Sa 10:00-12:00; last Fr 10:00-12:00", "svc-2": ""}
    # They go back out as HSDS and come in again the same.
    assert export(db, "hsds", tmp_path / "out", source="directory").notes == []
    again = import_path(db, tmp_path / "out", ImportOptions(source="again"))
    assert (again.inserted, again.rejected) == (2, 0), again.errors
    assert sorted(read_records(db, source="again"), key=lambda r: r.source_id) == sorted(
        map(as_exported, [svc1, svc2]), key=lambda r: r.source_id)


def test_hours_given_for_a_location_or_a_service_at_a_location_are_that_sites_and_phones_the_services(
        db, tmp_path):
    package = _package(tmp_path)
    (package / "phones.csv").write_text(
        "id,service_id,location_id,number,extension,type\n"
        "ph-1,svc-1,,573-882-1234,,voice\nph-2,svc-4,,555-1234,,voice\n"
        "ph-3,,loc-2,617-555-0100,,voice\n"  # svc-3's site
        "ph-4,,loc-1,573-882-1234,,voice\n")  # svc-1 has it already; svc-2 is there too
    (package / "schedules.csv").write_text(
        "id,service_id,service_at_location_id,location_id,freq,byday,opens_at,closes_at\n"
        'sch-1,svc-1,,,WEEKLY,"MO,TU,WE,TH,FR",09:00,17:00\n'
        "sch-2,,,loc-1,WEEKLY,SA,10:00,14:00\n"  # loc-1: svc-1 and svc-2 (and rejected ones)
        "sch-3,,sal-3,,WEEKLY,SU,12:00,16:00\n"  # svc-3 at loc-2 only
        "sch-4,,,loc-2,WEEKLY,MO,08:00,09:00\n"
        'sch-5,,,loc-1,WEEKLY,"MO,TU,WE,TH,FR",09:00,17:00\n')  # svc-1 has it already: counted once
    report = import_path(db, package)
    assert report.inserted == 3
    weekdays, saturday = Hours("MO,TU,WE,TH,FR", "09:00", "17:00"), Hours("SA", "10:00", "14:00")
    at_loc1 = [replace(saturday, site="loc-1"), replace(weekdays, site="loc-1")]
    svc1, svc2, svc3 = read_records(db, source="directory")
    assert svc1.hours == [weekdays, *at_loc1] and svc2.hours == at_loc1  # loc-1's rules are loc-1's
    assert svc3.hours == [Hours("SU", "12:00", "16:00", site="loc-2"), Hours("MO", "08:00", "09:00", site="loc-2")]
    assert [[p.number for p in r.phones] for r in (svc1, svc2, svc3)] == [
        ["(573) 882-1234"], ["(573) 882-1234"], ["(617) 555-0100"]]
    with zipfile.ZipFile(_zip(report.rejects_file, tmp_path / "rejects.zip")) as z:
        kept = [r["id"] for r in csv.DictReader(z.read("schedules.csv").decode().splitlines())]
    assert kept == ["sch-2", "sch-5"]  # the hours of loc-1, where rejected services are too
    # Nested HSDS JSON: hours under the service at location, or under its location.
    service = {"id": "j-1", "name": "Pantry", "organization": {"id": "o", "name": "Org"},
               "service_at_locations": [{"id": "sal-j", "schedules": [{"byday": "TU", "opens_at": "10:00",
                                                                       "closes_at": "11:00"}],
                                         "location": {"id": "loc-j", "latitude": 38.95, "longitude": -92.33,
                                                      "schedules": [{"byday": "TH", "opens_at": "10:00",
                                                                     "closes_at": "11:00"}],
                                                      "addresses": [{"address_1": "1 Elm St", "city": "Columbia",
                                                                     "state_province": "MO", "postal_code": "65201"}]}}]}
    (tmp_path / "feed.json").write_text(json.dumps([service]))
    assert import_path(db, tmp_path / "feed.json").inserted == 1
    (fed,) = read_records(db, source="feed")
    assert fed.hours == [Hours("TU", "10:00", "11:00", site="loc-j"), Hours("TH", "10:00", "11:00", site="loc-j")]


def test_json_service_with_a_bad_phone_is_reported_at_its_ndjson_line(db, tmp_path):
    good = {"id": "j-1", "name": "Pantry", "organization": {"id": "o", "name": "Org"},
            "phones": [{"number": "573-882-1234"}]}
    bad = {**good, "id": "j-2", "phones": [{"number": "not a phone"}]}
    path = tmp_path / "feed.ndjson"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(bad) + "\n")
    report = import_path(db, path)
    assert [(e.file, e.line, e.field, e.reason) for e in report.errors] == [
        ("feed.ndjson", 3, "phones[0].number", "'not a phone' is not a phone number")]
    assert report.inserted == 1
    rejected = [json.loads(line) for line in (tmp_path / "feed.rejects.ndjson").read_text().splitlines()]
    assert rejected[0]["id"] == "j-2" and "not a phone number" in rejected[0]["reject_reason"]


def _service_object(r) -> dict:
    """A record as an HSDS API service object (nested), to feed the JSON reader."""
    return {
        "id": r.source_id, "name": r.name, "description": r.description, "url": r.url, "email": r.email,
        "status": r.status,
        "organization": {"id": r.organization_id, "name": r.organization},
        "phones": [{"id": f"{r.source_id}-p{i}", "number": p.number, "extension": p.extension, "type": p.type}
                   for i, p in enumerate(r.phones)],
        "schedules": [{"freq": h.freq, "byday": h.byday, "bymonthday": h.bymonthday, "opens_at": h.opens_at,
                       "closes_at": h.closes_at, "valid_from": h.valid_from, "valid_to": h.valid_to,
                       "description": h.description} for h in r.hours],
        "languages": [{"name": lang} for lang in r.languages],
        "attributes": [{"taxonomy_term": {"id": f"t-{c}", "code": c, "taxonomy": "upstream-atlas"}} for c in r.categories]
                      + [{"taxonomy_term": {"id": f"s-{c}", "code": c, "taxonomy": "upstream-atlas-stages"}}
                         for c in r.stages],
        "service_areas": [{"id": a.source_id, "name": a.name, "extent": json.loads(a.extent), "extent_type": "geojson"}
                          for a in r.areas],
        "service_at_locations": [{"location": {
            "id": p.source_id, "name": p.name,
            "latitude": p.latitude if p.geocode_source == "source" else None,
            "longitude": p.longitude if p.geocode_source == "source" else None,
            "addresses": [{"address_1": p.address_1, "city": p.city, "state_province": p.state,
                           "postal_code": p.postal_code, "country": "US"}]}} for p in r.places],
    }


def test_round_trip_hsds_to_database_to_hsds_is_identical(db, tmp_path):
    import_path(db, _package(tmp_path), ImportOptions(source="rt-a"))
    first = tmp_path / "export-a"
    assert export(db, "hsds", first, source="rt-a").services == 3
    report = import_path(db, first, ImportOptions(source="rt-b"))
    assert (report.inserted, report.rejected) == (3, 0), report.errors
    # The same records, under the UUIDs the export gave them (HSDS 3 ids are UUIDs).
    by_id = sorted(map(as_exported, read_records(db, source="rt-a")), key=lambda r: r.source_id)
    assert read_records(db, source="rt-b") == by_id
    second = tmp_path / "export-b"
    export(db, "hsds", second, source="rt-b")
    assert (first / "datapackage.json").exists()
    for f in sorted([*first.glob("*.csv"), first / "datapackage.json"]):
        assert (second / f.name).read_text() == f.read_text(), f.name
    # And importing the export into the source it came from changes nothing.
    again = import_path(db, first, ImportOptions(source="rt-a"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_a_service_at_three_sites_is_open_now_where_that_sites_own_hours_say(db, tmp_path):
    """HSDS hours of one site (under its service at a location, or its location) are that site's;
    a site without its own keeps the service's. Casper, Wyoming (Mountain time), far from the
    sample services: a search there sees only this service's three sites."""
    from datetime import UTC, datetime

    from geo.search import make_filter, nearby_services_json
    from tests.search_data import CASPER

    def site(n: int, **extra: object) -> dict:
        return {"id": f"loc-{n}", "name": f"Site {n}", "latitude": CASPER[0] + n * 0.001, "longitude": CASPER[1],
                "addresses": [{"address_1": f"{n} Elm St", "city": "Casper", "state_province": "WY",
                               "postal_code": "82601"}], **extra}

    service = {"id": "three-sites", "name": "Pantry", "organization": {"id": "o3", "name": "Org"},
               "schedules": [{"byday": "SA", "opens_at": "10:00", "closes_at": "14:00"}],  # the service's own
               "service_at_locations": [
                   {"id": "sal-1", "schedules": [{"byday": "MO", "opens_at": "09:00", "closes_at": "12:00"}],
                    "location": site(1)},
                   {"id": "sal-2", "location": site(2, schedules=[  # the location's: monthly, the 2nd Tuesday
                       {"freq": "MONTHLY", "byday": "2TU", "opens_at": "09:00", "closes_at": "12:00"}])},
                   {"id": "sal-3", "location": site(3)}]}
    (tmp_path / "feed.json").write_text(json.dumps([service]))
    assert import_path(db, tmp_path / "feed.json").inserted == 1

    def open_sites(*utc: int) -> list[str]:
        page = json.loads(nearby_services_json(db, lat=CASPER[0], lon=CASPER[1], radius_m=2000,
                                               filters=make_filter(open_now=True),
                                               at=datetime(*utc, tzinfo=UTC)))
        return [item["location"]["address"]["address_1"] for item in page["contents"]]

    assert open_sites(2026, 12, 7, 17, 0) == ["1 Elm St"]  # Monday 10:00 MST
    assert open_sites(2026, 12, 8, 17, 0) == ["2 Elm St"]  # the 2nd Tuesday, 10:00
    assert open_sites(2026, 12, 15, 17, 0) == []  # the 3rd Tuesday
    assert open_sites(2026, 12, 5, 18, 0) == ["3 Elm St"]  # Saturday 11:00: the service's own hours
    everyone = json.loads(nearby_services_json(db, lat=CASPER[0], lon=CASPER[1], radius_m=2000,
                                               filters=make_filter(), at=datetime(2026, 12, 7, 17, 0, tzinfo=UTC)))
    shown = {item["location"]["address"]["address_1"]: ([h["byday"] for h in item["hours"]], item["open_now"])
             for item in everyone["contents"]}
    assert shown == {"1 Elm St": (["MO"], True), "2 Elm St": (["2TU"], False), "3 Elm St": (["SA"], False)}
    # Exported and read again, each site keeps its own hours.
    (record,) = read_records(db, source="feed")
    assert sorted((h.site or "", h.byday) for h in record.hours) == [("", "SA"), ("loc-1", "MO"), ("loc-2", "2TU")]
