"""The editing API: keys and roles (401/403), validation, HSDS rows written like the loaders',
an audit row for every change, retire, and restore of an earlier version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from geo.keys import create_key
from geo.search import NearbyFilter, nearby_services_json
from geo.taxonomy import term_id
from tests.service.editing import cleanup_edits as _cleanup

KANSAS_CITY = {"latitude": 39.0997, "longitude": -94.5786}  # Jackson County 29095, circuit MO-16
ST_LOUIS = {"latitude": 38.627, "longitude": -90.199}  # St. Louis city 29510, circuit MO-22
BOSTON = {"latitude": 42.3601, "longitude": -71.0589}  # Suffolk 25025, division MA-suffolk
LIBERTY = {"latitude": 39.2461, "longitude": -94.4191}  # Clay County 29047, circuit MO-7
MO_ADDRESS = {"address_1": "100 Main St", "city": "Kansas City", "state_province": "MO", "postal_code": "64106"}
MA_ADDRESS = {"address_1": "1 City Hall Sq", "city": "Boston", "state_province": "MA", "postal_code": "02201"}
CLAY_ADDRESS = {"address_1": "1 Main St", "city": "Liberty", "state_province": "MO", "postal_code": "64068"}


@pytest.fixture(scope="module")
def keys(settings) -> Iterator[dict[str, str]]:
    import psycopg
    from psycopg.rows import dict_row

    names = {"admin": "test admin", "mo16": "test MO-16 editor", "mo22": "test MO-22 editor",
             "mo7": "test MO-7 editor", "revoked": "test revoked"}
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:
        _cleanup(conn, list(names.values()))
        secrets = {
            "admin": create_key(conn, names["admin"], "admin")[1],
            "mo16": create_key(conn, names["mo16"], "editor", ["MO-16"])[1],
            "mo22": create_key(conn, names["mo22"], "editor", ["circuit:MO-22"])[1],
            "mo7": create_key(conn, names["mo7"], "editor", ["MO-7"])[1],
            "revoked": create_key(conn, names["revoked"], "admin")[1],
        }
        conn.execute("UPDATE api_key SET revoked_at = now() WHERE name = %s", [names["revoked"]])
        yield secrets
        _cleanup(conn, list(names.values()))


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _service(name: str, point: dict, **extra) -> dict:
    return {
        "name": name,
        "organization": {"name": f"{name} Org", "website": "https://example.org"},
        "location": {**point, "name": f"{name} site",
                     "address": MA_ADDRESS if point is BOSTON else MO_ADDRESS},
        "categories": ["parenting-education"],
        "stages": ["prevention", "court"],
        "languages": ["en", "es"],
        "phones": ["816-555-0142"],
        "capacity": 12,
        **extra,
    }


def _audit(conn, entity: str, entity_id: str) -> list[dict]:
    return conn.execute(
        "SELECT id, action, actor, before, after, restored_from FROM audit_log "
        "WHERE entity = %s AND entity_id = %s ORDER BY id", [entity, entity_id]).fetchall()


def test_writes_without_a_valid_key_are_401_with_a_message(client, keys):
    body = _service("Test: no key", KANSAS_CITY)
    r = client.post("/api/services", json=body)
    assert r.status_code == 401 and "API key" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/services", json=body, headers=_auth("atk_000000000000_" + "x" * 43)).status_code == 401
    assert client.post("/api/services", json=body, headers={"X-API-Key": "not-a-key"}).status_code == 401
    assert client.post("/api/services", json=body, headers=_auth(keys["revoked"])).status_code == 401
    assert client.delete("/api/services/anything").status_code == 401
    assert client.get("/api/audit").status_code == 401


def test_editor_creates_a_service_in_their_circuit_with_all_its_hsds_rows(client, conn, keys):
    r = client.post("/api/services", json=_service("Test: KC Parenting", KANSAS_CITY),
                    headers={"X-API-Key": keys["mo16"]})
    assert r.status_code == 201, r.text
    svc = r.json()
    assert svc["categories"] == ["parenting-education"] and svc["phones"] == ["(816) 555-0142"]
    row = conn.execute(
        """SELECT s.name, s.capacity, o.name AS org, o.website, l.county_fips, l.latitude, l.longitude,
                  ST_X(l.geom) AS x, ST_Y(l.geom) AS y, a.address_1, a.postal_code
           FROM service s JOIN organization o ON o.id = s.organization_id
           JOIN service_at_location sal ON sal.service_id = s.id JOIN location l ON l.id = sal.location_id
           JOIN address a ON a.location_id = l.id WHERE s.id = %s""", [svc["id"]]).fetchone()
    assert row["org"] == "Test: KC Parenting Org" and row["county_fips"] == "29095"
    assert (float(row["latitude"]), float(row["longitude"])) == (39.0997, -94.5786)
    assert (round(row["x"], 4), round(row["y"], 4)) == (-94.5786, 39.0997)
    assert row["postal_code"] == "64106" and row["capacity"] == 12
    assert conn.execute("SELECT taxonomy_term_id FROM attribute WHERE link_entity = 'service' AND link_id = %s",
                        [svc["id"]]).fetchone()["taxonomy_term_id"] == term_id("parenting-education")
    assert {r["stage_code"] for r in conn.execute(
        "SELECT stage_code FROM service_stage WHERE service_id = %s", [svc["id"]])} == {"prevention", "court"}
    assert {(r["code"], r["name"]) for r in conn.execute(
        "SELECT code, name FROM language WHERE service_id = %s", [svc["id"]])} == {("en", "English"), ("es", "Spanish")}
    # Three creates, one audit row each, with who did it.
    created = conn.execute(
        "SELECT entity, actor FROM audit_log WHERE action = 'create' AND entity_id = ANY(%s)",
        [[svc["id"], svc["organization_id"], *svc["location_ids"]]]).fetchall()
    assert sorted(r["entity"] for r in created) == ["location", "organization", "service"]
    assert {r["actor"] for r in created} == {"test MO-16 editor"}
    # It is on the public map now.
    fc = client.get("/api/layers/services.geojson", params={"state": "MO", "category": "parenting-education"}).json()
    assert svc["id"] in {f["id"] for f in fc["features"]}


def test_editor_outside_their_region_gets_403_and_nothing_is_written(client, conn, keys):
    r = client.post("/api/services", json=_service("Test: STL by KC editor", ST_LOUIS), headers=_auth(keys["mo16"]))
    assert r.status_code == 403 and "MO-16" in r.json()["detail"]
    assert conn.execute("SELECT count(*) AS n FROM organization WHERE name LIKE 'Test: STL by KC editor%%'"
                        ).fetchone()["n"] == 0
    # A sample service in Boston is not the MO-16 editor's to change or retire.
    boston = conn.execute(
        """SELECT s.id FROM service s JOIN service_at_location sal ON sal.service_id = s.id
           JOIN location l ON l.id = sal.location_id WHERE l.county_fips = '25025' LIMIT 1""").fetchone()["id"]
    assert client.patch(f"/api/services/{boston}", json={"name": "Hijacked"}, headers=_auth(keys["mo16"])).status_code == 403
    assert client.delete(f"/api/services/{boston}", headers=_auth(keys["mo16"])).status_code == 403
    assert conn.execute("SELECT name, retired_at FROM service WHERE id = %s", [boston]).fetchone()["retired_at"] is None
    # Editors cannot read the audit trail.
    assert client.get("/api/audit", headers=_auth(keys["mo16"])).status_code == 403


def test_moving_a_location_needs_a_key_covering_both_ends(client, conn, keys):
    r = client.post("/api/locations", json={**KANSAS_CITY, "name": "Test: KC site"}, headers=_auth(keys["mo16"]))
    assert r.status_code == 201, r.text
    loc = r.json()
    assert loc["county_fips"] == "29095"
    # Out of MO-16 into St. Louis: the KC editor does not cover where it goes ...
    r = client.patch(f"/api/locations/{loc['id']}", json=ST_LOUIS, headers=_auth(keys["mo16"]))
    assert r.status_code == 403
    # ... and the St. Louis editor does not cover where it is.
    assert client.patch(f"/api/locations/{loc['id']}", json=ST_LOUIS, headers=_auth(keys["mo22"])).status_code == 403
    row = conn.execute("SELECT county_fips, latitude FROM location WHERE id = %s", [loc["id"]]).fetchone()
    assert row["county_fips"] == "29095" and float(row["latitude"]) == 39.0997
    # Within the circuit is fine, and the county follows the point.
    r = client.patch(f"/api/locations/{loc['id']}", json={"latitude": 39.05, "longitude": -94.45},
                     headers=_auth(keys["mo16"]))
    assert r.status_code == 200 and r.json()["county_fips"] == "29095"
    # An admin may move it anywhere.
    r = client.patch(f"/api/locations/{loc['id']}", json=BOSTON, headers=_auth(keys["admin"]))
    assert r.status_code == 200 and r.json()["county_fips"] == "25025"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"location": {"latitude": 0, "longitude": 0}}, "location"),
        ({"location": {"latitude": 95, "longitude": -94.5}}, "location.latitude"),
        ({"phones": ["12345"]}, "phones.0"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"email": "not an email"}, "email"),
        ({"capacity": -1}, "capacity"),
        ({"minimum_age": 18, "maximum_age": 5}, "body"),
        ({"unexpected": 1}, "unexpected"),
        ({"hours": [{"byday": "MO", "opens_at": "9am", "closes_at": "10:00"}]}, "hours.0.opens_at"),
        ({"hours": [{"freq": "DAILY", "byday": "MO", "opens_at": "09:00", "closes_at": "10:00"}]}, "hours.0.freq"),
    ],
)
def test_bad_fields_are_422_naming_the_field(client, keys, change, field):
    r = client.post("/api/services", json={**_service("Test: invalid", KANSAS_CITY), **change},
                    headers=_auth(keys["admin"]))
    assert r.status_code == 422
    assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()


def test_unknown_category_is_422_and_writes_nothing(client, conn, keys):
    r = client.post("/api/services", json=_service("Test: bad category", KANSAS_CITY, categories=["astrology"]),
                    headers=_auth(keys["admin"]))
    assert r.status_code == 422
    assert r.json()["errors"][0] == {"file": "request", "line": 0, "field": "categories",
                                     "reason": "unknown category 'astrology'"}
    assert conn.execute("SELECT count(*) AS n FROM organization WHERE name = 'Test: bad category Org'"
                        ).fetchone()["n"] == 0


def test_categories_and_stages_are_accepted_by_name_as_imports_take_them(client, conn, keys):
    r = client.post("/api/services", json=_service(
        "Test: by name", KANSAS_CITY, categories=["Parenting education", "Centro de recursos familiares"],
        stages=["PREVENTION", "Prevention and community support"]), headers=_auth(keys["admin"]))
    assert r.status_code == 201, r.text
    assert r.json()["categories"] == ["family-resource-center", "parenting-education"]
    assert r.json()["stages"] == ["prevention"]
    r = client.patch(f"/api/services/{r.json()['id']}", json={"stages": ["Placement", "astrology"]},
                     headers=_auth(keys["admin"]))
    assert r.status_code == 422 and r.json()["errors"][0]["reason"] == "unknown stage 'astrology'"


def test_languages_are_accepted_by_name_and_stored_as_codes(client, conn, keys):
    r = client.post("/api/services", json=_service("Test: Habla", KANSAS_CITY,
                                                   languages=["English", "Spanish", "ASL", "es"]),
                    headers=_auth(keys["mo16"]))
    assert r.status_code == 201, r.text
    svc = r.json()
    assert svc["languages"] == ["ase", "en", "es"]

    def stored() -> set[tuple[str, str]]:
        return {(x["code"], x["name"]) for x in conn.execute(
            "SELECT code, name FROM language WHERE service_id = %s", [svc["id"]])}

    assert stored() == {("en", "English"), ("es", "Spanish"), ("ase", "American Sign Language")}
    r = client.patch(f"/api/services/{svc['id']}", json={"languages": ["español", "Kreyòl"]},
                     headers=_auth(keys["mo16"]))
    assert r.status_code == 200, r.text
    assert stored() == {("es", "Spanish"), ("ht", "Haitian Creole")}
    r = client.patch(f"/api/services/{svc['id']}", json={"languages": ["Klingonese"]}, headers=_auth(keys["mo16"]))
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"].startswith("languages") and "unknown language 'Klingonese'" in error["reason"]
    assert stored() == {("es", "Spanish"), ("ht", "Haitian Creole")}


def test_every_change_is_audited_and_an_earlier_version_can_be_restored(client, conn, keys):
    editor = _auth(keys["mo16"])
    svc = client.post("/api/services", json=_service("Test: Restorable", KANSAS_CITY), headers=editor).json()
    sid = svc["id"]
    r = client.patch(f"/api/services/{sid}", json={"name": "Test: Renamed", "categories": ["food"],
                                                   "phones": ["(816) 555-0199"]}, headers=editor)
    assert r.status_code == 200 and r.json()["name"] == "Test: Renamed"
    assert client.delete(f"/api/services/{sid}", headers=editor).json()["retired_at"] is not None
    fc = client.get("/api/layers/services.geojson", params={"state": "MO"}).json()
    assert sid not in {f["id"] for f in fc["features"]}  # retired: off the map
    trail = _audit(conn, "service", sid)
    assert [t["action"] for t in trail] == ["create", "update", "retire"]
    assert trail[1]["before"]["name"] == "Test: Restorable" and trail[1]["after"]["name"] == "Test: Renamed"
    assert trail[1]["actor"] == "test MO-16 editor"

    # Restore the version made by the create: name, category and phone come back, and it is live again.
    r = client.post(f"/api/services/{sid}/restore", params={"version": trail[0]["id"]}, headers=editor)
    assert r.status_code == 200, r.text
    restored = r.json()
    assert restored["name"] == "Test: Restorable" and restored["retired_at"] is None
    assert restored["categories"] == ["parenting-education"] and restored["phones"] == ["(816) 555-0142"]
    trail = _audit(conn, "service", sid)
    assert [t["action"] for t in trail] == ["create", "update", "retire", "restore"]
    assert trail[-1]["restored_from"] == trail[0]["id"]
    assert trail[-1]["before"]["retired_at"] is not None and trail[-1]["after"] == {**trail[0]["after"]}
    fc = client.get("/api/layers/services.geojson", params={"state": "MO"}).json()
    assert sid in {f["id"] for f in fc["features"]}
    # A version of another record is refused.
    other = client.post(f"/api/locations/{svc['location_ids'][0]}/restore", params={"version": trail[0]["id"]},
                        headers=editor)
    assert other.status_code == 404


def test_location_and_organization_updates_are_audited_and_restorable(client, conn, keys):
    admin = _auth(keys["admin"])
    org = client.post("/api/organizations", json={"name": "Test: Org A"}, headers=admin).json()
    client.patch(f"/api/organizations/{org['id']}", json={"name": "Test: Org B", "email": "hi@example.org"},
                 headers=admin)
    loc = client.post("/api/locations", json={**BOSTON, "organization_id": org["id"], "confidential": True,
                                              "address": {"address_1": "1 Secret Way", "city": "Boston",
                                                          "state_province": "MA", "postal_code": "02108"}},
                      headers=admin).json()
    client.patch(f"/api/locations/{loc['id']}", json={"address": None, "name": "Renamed"}, headers=admin)
    org_trail, loc_trail = _audit(conn, "organization", org["id"]), _audit(conn, "location", loc["id"])
    assert [t["action"] for t in org_trail] == ["create", "update"]
    assert [t["action"] for t in loc_trail] == ["create", "update"]
    assert loc_trail[1]["after"]["address"] is None
    r = client.post(f"/api/locations/{loc['id']}/restore", params={"version": loc_trail[0]["id"]}, headers=admin)
    assert r.status_code == 200 and r.json()["address"]["address_1"] == "1 Secret Way"
    r = client.post(f"/api/organizations/{org['id']}/restore", params={"version": org_trail[0]["id"]}, headers=admin)
    assert r.json()["name"] == "Test: Org A" and r.json()["email"] is None
    # An organization with active services cannot be retired out from under them.
    svc = client.post("/api/services", json={**_service("Test: child", BOSTON), "organization": None,
                                             "organization_id": org["id"]}, headers=admin)
    assert svc.status_code == 201, svc.text
    r = client.delete(f"/api/organizations/{org['id']}", headers=admin)
    assert r.status_code == 400 and "active services" in r.json()["detail"]


def test_audit_is_admin_only_newest_first_and_paged(client, keys):
    admin = _auth(keys["admin"])
    for i in range(3):
        client.post("/api/organizations", json={"name": f"Test: paged {i}"}, headers=admin)
    first = client.get("/api/audit", params={"entity": "organization", "limit": 2}, headers=admin).json()
    assert len(first["items"]) == 2 and first["items"][0]["id"] > first["items"][1]["id"]
    assert first["next"] == first["items"][1]["id"]
    second = client.get("/api/audit", params={"entity": "organization", "limit": 2, "before_id": first["next"]},
                        headers=admin).json()
    assert second["items"][0]["id"] < first["items"][1]["id"]
    assert client.get("/api/audit", params={"limit": 10_000}, headers=admin).status_code == 422


def test_concurrent_edits_are_applied_one_after_the_other_with_a_true_before(live_server, conn, keys):
    import threading

    import httpx

    admin = _auth(keys["admin"])
    org = httpx.post(f"{live_server.url}/api/organizations", json={"name": "Test: race 0"}, headers=admin).json()

    def rename(worker: int) -> None:
        with httpx.Client(base_url=live_server.url, headers=admin, timeout=30) as c:
            for i in range(5):
                assert c.patch(f"/api/organizations/{org['id']}", json={"name": f"Test: race {worker}-{i}"}
                               ).status_code == 200

    threads = [threading.Thread(target=rename, args=(w,)) for w in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    trail = _audit(conn, "organization", org["id"])
    assert [t["action"] for t in trail] == ["create"] + ["update"] * 10
    for previous, current in zip(trail, trail[1:], strict=False):
        assert current["before"] == previous["after"]


def test_an_editor_cannot_move_their_service_to_a_location_in_another_circuit(client, conn, keys):
    svc = client.post("/api/services", json=_service("Test: mover", KANSAS_CITY), headers=_auth(keys["mo16"])).json()
    stl = client.post("/api/locations", json={**ST_LOUIS, "name": "Test: STL site"}, headers=_auth(keys["admin"])).json()
    r = client.patch(f"/api/services/{svc['id']}", json={"location_ids": [stl["id"]]}, headers=_auth(keys["mo16"]))
    assert r.status_code == 403
    links = [r["location_id"] for r in conn.execute(
        "SELECT location_id FROM service_at_location WHERE service_id = %s", [svc["id"]])]
    assert links == svc["location_ids"]
    assert [t["action"] for t in _audit(conn, "service", svc["id"])] == ["create"]


def test_edits_follow_the_importers_rules_for_points_and_phones(client, conn, keys, tmp_path):
    from geo.importer import import_path

    admin = _auth(keys["admin"])
    # A Kansas City point with a Massachusetts address: refused, in the words an import uses.
    body = _service("Test: wrong state", KANSAS_CITY)
    body["location"]["address"] = MA_ADDRESS
    r = client.post("/api/services", json=body, headers=admin)
    sheet = tmp_path / "same.csv"
    sheet.write_text("id,name,state,latitude,longitude,phone\n"
                     "1,Test: wrong state,MA,39.0997,-94.5786,\n2,Test: bad phone,MO,39.0997,-94.5786,(123) 456-7890\n")
    imported = {e.line: e.reason for e in import_path(conn, sheet).errors}
    assert r.status_code == 422
    assert r.json()["errors"][0]["reason"] == imported[2] == "(39.0997, -94.5786) is outside MA, the state in the address"
    r = client.post("/api/services", json=_service("Test: bad phone", KANSAS_CITY, phones=["(123) 456-7890"]),
                    headers=admin)
    assert r.status_code == 422 and imported[3] in r.text
    # An extension is kept apart from the number, as imports keep it.
    r = client.post("/api/services", json=_service("Test: extension", KANSAS_CITY, phones=["816-555-0142 ext. 12"]),
                    headers=admin)
    assert r.status_code == 201, r.text
    phone = conn.execute("SELECT number, extension FROM phone WHERE service_id = %s", [r.json()["id"]]).fetchone()
    assert (phone["number"], phone["extension"]) == ("(816) 555-0142", "12")


def test_editors_set_monthly_and_seasonal_hours_that_open_now_follows_and_restore_brings_back(client, conn, keys):
    editor = _auth(keys["mo16"])
    hours = [{"byday": "mo, we", "opens_at": "09:00", "closes_at": "17:00"},
             {"freq": "MONTHLY", "byday": "2sa", "opens_at": "10:00", "closes_at": "12:00",
              "valid_from": "2026-06-01", "valid_to": "2026-08-31", "description": "Summer pantry"}]
    r = client.post("/api/services", json=_service("Test: Hours", KANSAS_CITY, hours=hours), headers=editor)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["hours"] == [
        {"freq": "WEEKLY", "byday": "MO,WE", "bymonthday": None, "opens_at": "09:00", "closes_at": "17:00",
         "valid_from": None, "valid_to": None, "description": None},
        {"freq": "MONTHLY", "byday": "2SA", "bymonthday": None, "opens_at": "10:00", "closes_at": "12:00",
         "valid_from": "2026-06-01", "valid_to": "2026-08-31", "description": "Summer pantry"}]
    zones = {row["tz_name"] for row in conn.execute("SELECT tz_name FROM schedule WHERE service_id = %s", [sid])}
    assert zones == {"America/Chicago"}  # from the location's ZIP, 64106

    def open_at(when: datetime) -> bool:
        page = json.loads(nearby_services_json(conn, lat=KANSAS_CITY["latitude"], lon=KANSAS_CITY["longitude"],
                                               radius_m=100, filters=NearbyFilter(category="parenting-education"),
                                               at=when, per_page=100))
        return any(item["service_id"] == sid and item["open_now"] for item in page["contents"])

    assert open_at(datetime(2026, 7, 11, 15, 30, tzinfo=UTC))  # second Saturday of July, 10:30 CDT
    assert not open_at(datetime(2026, 12, 12, 16, 30, tzinfo=UTC))  # second Saturday, out of season
    r = client.patch(f"/api/services/{sid}", json={"hours": []}, headers=editor)
    assert r.status_code == 200 and r.json()["hours"] == []
    assert not open_at(datetime(2026, 7, 11, 15, 30, tzinfo=UTC))
    trail = _audit(conn, "service", sid)
    assert trail[-1]["before"]["hours"][1]["description"] == "Summer pantry" and trail[-1]["after"]["hours"] == []
    r = client.post(f"/api/services/{sid}/restore", params={"version": trail[0]["id"]}, headers=editor)
    assert r.status_code == 200, r.text
    assert [h["byday"] for h in r.json()["hours"]] == ["MO,WE", "2SA"]
    assert open_at(datetime(2026, 7, 11, 15, 30, tzinfo=UTC))
    bad = client.patch(f"/api/services/{sid}", headers=editor,
                       json={"hours": [{"byday": "2SA", "opens_at": "09:00", "closes_at": "10:00"}]})
    assert bad.status_code == 422 and "'2SA' is not a weekly day (like MO, TU)" in bad.text
    backwards = {"byday": "MO", "opens_at": "09:00", "closes_at": "10:00", "valid_from": "2026-08-31",
                 "valid_to": "2026-06-01"}
    bad = client.patch(f"/api/services/{sid}", headers=editor, json={"hours": [backwards]})
    assert bad.status_code == 422 and "valid_to: 2026-06-01 is before valid_from 2026-08-31" in bad.text  # as imports say


@pytest.mark.parametrize("hours", [
    [{"byday": "MO,TU,WE", "opens_at": "09:00", "closes_at": "17:00"}],
    [{"freq": "MONTHLY", "bymonthday": "1,15", "opens_at": "09:00", "closes_at": "11:00"}],
])
def test_a_patch_of_hours_keeps_each_rules_defaults(client, keys, hours):
    """Only top-level fields count as unset: a rule without `freq` is weekly, one without `byday` has none."""
    editor = _auth(keys["mo16"])
    sid = client.post("/api/services", json=_service("Test: patched hours", KANSAS_CITY), headers=editor).json()["id"]
    r = client.patch(f"/api/services/{sid}", json={"hours": hours}, headers=editor)
    assert r.status_code == 200, r.text
    expected = {"freq": "WEEKLY", "byday": "", "bymonthday": None, "valid_from": None, "valid_to": None,
                "description": None}
    assert r.json()["hours"] == [{**expected, **rule} for rule in hours]


def _clay_county_records(client, admin: dict) -> tuple[dict, dict]:
    """An organization with a site in Clay County (circuit MO-7), made by an admin."""
    org = client.post("/api/organizations", json={"name": "Test: Clay County Org"}, headers=admin).json()
    loc = client.post("/api/locations", json={**LIBERTY, "organization_id": org["id"], "address": CLAY_ADDRESS},
                      headers=admin)
    assert loc.status_code == 201, loc.text
    assert loc.json()["county_fips"] == "29047"
    return org, loc.json()


def test_an_editor_cannot_reach_into_another_region_through_a_reference(client, conn, keys):
    admin, mo16 = _auth(keys["admin"]), _auth(keys["mo16"])
    clay_org, clay_loc = _clay_county_records(client, admin)
    svc = client.post("/api/services", json=_service("Test: reacher", KANSAS_CITY), headers=mo16).json()
    own_loc = svc["location_ids"][0]

    def refused(r, field: str) -> None:
        assert r.status_code == 403, r.text
        assert r.json()["detail"].startswith(f"{field}: ") and "MO-16" in r.json()["detail"]

    refused(client.patch(f"/api/services/{svc['id']}", json={"organization_id": clay_org["id"]}, headers=mo16),
            "organization_id")
    refused(client.patch(f"/api/locations/{own_loc}", json={"organization_id": clay_org["id"]}, headers=mo16),
            "organization_id")
    refused(client.patch(f"/api/services/{svc['id']}", json={"location_ids": [own_loc, clay_loc["id"]]},
                         headers=mo16), "location_ids")
    refused(client.post("/api/locations", json={**KANSAS_CITY, "organization_id": clay_org["id"]}, headers=mo16),
            "organization_id")
    new = _service("Test: new reacher", KANSAS_CITY)
    refused(client.post("/api/services", json={**new, "organization": None, "organization_id": clay_org["id"]},
                        headers=mo16), "organization_id")
    refused(client.post("/api/services", json={**new, "location": None, "location_id": clay_loc["id"]},
                        headers=mo16), "location_id")
    refused(client.post("/api/services", json={**new, "location": {**new["location"], "organization_id": clay_org["id"]}},
                        headers=mo16), "location: organization_id")
    # Nothing moved: the Clay County organization is still only MO-7's, and its editor may change it.
    assert conn.execute("SELECT organization_id FROM service WHERE id = %s", [svc["id"]]
                        ).fetchone()["organization_id"] == svc["organization_id"]
    assert conn.execute("SELECT count(*) AS n FROM organization WHERE name = 'Test: new reacher Org'").fetchone()["n"] == 0
    r = client.patch(f"/api/organizations/{clay_org['id']}", json={"description": "Liberty"}, headers=_auth(keys["mo7"]))
    assert r.status_code == 200, r.text
    # A reference the record already has is no new reach: sending it again is fine.
    r = client.patch(f"/api/services/{svc['id']}", json={"organization_id": svc["organization_id"], "name": "Test: kept"},
                     headers=mo16)
    assert r.status_code == 200, r.text
    # An organization placed nowhere yet belongs to no region: any editor may use it.
    unplaced = client.post("/api/organizations", json={"name": "Test: unplaced org"}, headers=_auth(keys["mo7"])).json()
    r = client.patch(f"/api/services/{svc['id']}", json={"organization_id": unplaced["id"]}, headers=mo16)
    assert r.status_code == 200, r.text
    # Admins may point anything anywhere.
    r = client.patch(f"/api/services/{svc['id']}", json={"organization_id": clay_org["id"]}, headers=admin)
    assert r.status_code == 200, r.text


def test_restore_by_an_editor_cannot_bring_back_a_reference_into_another_region(client, keys):
    admin, mo16 = _auth(keys["admin"]), _auth(keys["mo16"])
    clay_org, _ = _clay_county_records(client, admin)
    svc = client.post("/api/services", json=_service("Test: restore reach", KANSAS_CITY), headers=mo16).json()
    client.patch(f"/api/services/{svc['id']}", json={"organization_id": clay_org["id"]}, headers=admin)
    trail = client.get("/api/audit", params={"entity": "service", "entity_id": svc["id"]}, headers=admin).json()
    with_clay = trail["items"][0]["id"]
    client.patch(f"/api/services/{svc['id']}", json={"organization_id": svc["organization_id"]}, headers=admin)
    r = client.post(f"/api/services/{svc['id']}/restore", params={"version": with_clay}, headers=mo16)
    assert r.status_code == 403 and r.json()["detail"].startswith("organization_id: ")
