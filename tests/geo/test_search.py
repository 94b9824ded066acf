"""Nearby search on the real PostGIS: true ellipsoidal ordering, every filter, paging edges,
confidential sites never located, open-now across time zones and bad parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from geo.errors import BadRequest
from geo.search import MAX_RADIUS_M, make_filter, nearby_services_json, refresh_service_points
from tests.search_data import CASPER, ServiceSpec, add_services

LAT, LON = CASPER
# Monday 23 November 2026, 14:30 UTC: 09:30 in New York, 08:30 in Chicago, 07:30 in Denver.
MONDAY_1430_UTC = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


def search(conn, **kw) -> dict:
    kw.setdefault("lat", LAT)
    kw.setdefault("lon", LON)
    kw.setdefault("radius_m", 20_000)
    filters = make_filter(**{k: kw.pop(k) for k in list(kw) if k in
                             ("category", "stage", "language", "cost", "age", "open_now")})
    return json.loads(nearby_services_json(conn, filters=filters, **kw))


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["contents"]]


def test_results_are_ordered_by_ellipsoidal_distance_not_degrees_or_the_sphere(conn):
    # 0.01° north is ~1,110.8 m on the ellipsoid; 0.013615° east is ~1,112.9 m on the ellipsoid but
    # ~1,109.9 m on the sphere the KNN operator uses. Planar degrees would rank "east far" first.
    add_services(conn, [
        ServiceSpec("north", LAT + 0.01, LON),
        ServiceSpec("east", LAT, LON + 0.013615),
        ServiceSpec("east far", LAT, LON + 0.0095 * 1.5),  # 0.01425° east: ~1,165 m
        ServiceSpec("south far", LAT - 0.03, LON),
    ])
    page = search(conn, per_page=1)
    assert names(page) == ["north"]
    full = search(conn)
    assert names(full) == ["north", "east", "east far", "south far"]
    expected = {
        r["name"]: r["d"] for r in conn.execute(
            """SELECT s.name, ST_Distance(l.geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) AS d
               FROM service s JOIN service_at_location sal ON sal.service_id = s.id
               JOIN location l ON l.id = sal.location_id WHERE s.source = 'search-test'""", [LON, LAT])
    }
    assert [item["distance_m"] for item in full["contents"]] == [round(expected[n]) for n in names(full)]
    assert full["contents"][0]["distance_m"] == pytest.approx(1111, abs=2)
    # Page by page, one at a time, still in true order.
    paged = [names(search(conn, per_page=1, page=p))[0] for p in range(1, 5)]
    assert paged == names(full)


def test_radius_is_metres_on_the_ellipsoid(conn):
    add_services(conn, [ServiceSpec("north", LAT + 0.01, LON)])  # 1,110.8 m
    assert names(search(conn, radius_m=1_112)) == ["north"]
    assert names(search(conn, radius_m=1_109)) == []


def test_each_filter_keeps_only_matching_services(conn):
    add_services(conn, [
        ServiceSpec("pantry", LAT + 0.001, LON, category="food", stages=["prevention"], languages=["en"]),
        ServiceSpec("clinic", LAT + 0.002, LON, category="mental-health", stages=["court"],
                    languages=["en", "es"], cost="sliding scale"),
        ServiceSpec("daycare", LAT + 0.003, LON, category="child-care", ages=(0, 5), cost="insurance"),
        ServiceSpec("weekend", LAT + 0.004, LON, hours=[("SA,SU", "10:00", "14:00", "America/Denver")]),
    ])
    assert names(search(conn, category="mental-health")) == ["clinic"]
    assert names(search(conn, stage="court")) == ["clinic"]
    assert names(search(conn, language="es")) == ["clinic"]
    assert names(search(conn, language="ES")) == ["clinic"]
    assert names(search(conn, cost="sliding scale")) == ["clinic"]
    assert names(search(conn, cost="sliding-scale")) == ["clinic"]
    assert names(search(conn, cost="insurance")) == ["daycare"]
    assert names(search(conn, cost="free")) == ["pantry", "weekend"]
    assert names(search(conn, age=30)) == ["pantry", "clinic", "weekend"]
    assert names(search(conn, age=3)) == ["pantry", "clinic", "daycare", "weekend"]
    # 10:00 in Denver on a Monday: the weekday services are open, the weekend one is not.
    monday_10 = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    assert names(search(conn, open_now=True, at=monday_10)) == ["pantry", "clinic", "daycare"]
    assert names(search(conn, category="food", language="es")) == []


def test_open_now_uses_each_schedules_time_zone(conn):
    add_services(conn, [
        ServiceSpec("new york office", LAT + 0.001, LON, hours=[("MO,TU,WE,TH,FR", "09:00", "17:00", "America/New_York")]),
        ServiceSpec("chicago office", LAT + 0.002, LON, hours=[("MO,TU,WE,TH,FR", "09:00", "17:00", "America/Chicago")]),
        ServiceSpec("night line", LAT + 0.003, LON, hours=[("SU", "22:00", "10:00", "America/Chicago")]),
    ])
    # 09:30 in New York, 08:30 in Chicago; the Sunday-night line runs until 10:00 Monday.
    page = search(conn, open_now=True, at=MONDAY_1430_UTC)
    assert names(page) == ["new york office", "night line"]
    everyone = search(conn, at=MONDAY_1430_UTC)
    assert {i["name"]: i["open_now"] for i in everyone["contents"]} == {
        "new york office": True, "chicago office": False, "night line": True}
    # Two hours later Chicago is open and the night line closed (10:30 there).
    assert names(search(conn, open_now=True, at=datetime(2026, 11, 23, 16, 30, tzinfo=UTC))) == [
        "new york office", "chicago office"]
    # In July (daylight time) the same 14:30 UTC is 09:30 in Chicago: open.
    assert names(search(conn, open_now=True, at=datetime(2026, 7, 20, 14, 30, tzinfo=UTC))) == [
        "new york office", "chicago office", "night line"]


def test_paging_edges_follow_the_hsds_page_shape(conn):
    add_services(conn, [ServiceSpec(f"s{i}", LAT + 0.001 * i, LON) for i in range(1, 6)])
    first = search(conn, per_page=2)
    assert {k: v for k, v in first.items() if k != "contents"} == {
        "total_items": 5, "total_pages": 3, "page_number": 1, "size": 2, "first_page": True,
        "last_page": False, "empty": False}
    assert names(first) == ["s1", "s2"]
    last = search(conn, per_page=2, page=3)
    assert names(last) == ["s5"] and last["last_page"] and not last["first_page"] and last["size"] == 1
    beyond = search(conn, per_page=2, page=4)
    assert beyond["empty"] and beyond["contents"] == [] and beyond["total_items"] == 5
    exact = search(conn, per_page=5)
    assert exact["total_pages"] == 1 and exact["first_page"] and exact["last_page"]
    none = search(conn, category="legal-aid")
    assert none == {"total_items": 0, "total_pages": 0, "page_number": 1, "size": 0,
                    "first_page": True, "last_page": True, "empty": True, "contents": []}
    for bad in ({"per_page": 0}, {"per_page": 101}, {"page": 0}):
        with pytest.raises(BadRequest):
            search(conn, **bad)


def test_confidential_sites_are_listed_without_point_address_or_precise_distance(conn):
    shelter = (LAT + 0.0123, LON - 0.0234)
    add_services(conn, [
        ServiceSpec("safe house", *shelter, category="domestic-violence", confidential=True,
                    address="77 Hidden Ln"),
        ServiceSpec("advocacy office", LAT + 0.001, LON, category="domestic-violence"),
    ])
    page = search(conn, category="domestic-violence", radius_m=60_000)
    item = next(i for i in page["contents"] if i["name"] == "safe house")
    assert item["confidential"] and item["location"] is None and item["distance_m"] is None
    assert item["distance_band"].endswith("(county-level)")
    assert item["phones"][0]["number"] == "(307) 555-0100" and item["how_to_get_help"]
    assert item["county"]["name"] == "Natrona County"
    text = json.dumps(page)
    for secret in ("77 Hidden Ln", f"{shelter[0]:.4f}", f"{shelter[1]:.4f}"):
        assert secret not in text
    # The search table holds the county's point, not the site's: no radius probe can find it.
    row = conn.execute(
        """SELECT ST_Distance(geog, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) AS d
           FROM service_point WHERE confidential AND doc->>'name' = 'safe house'""", shelter[::-1]).fetchone()
    assert row["d"] > 5_000
    probe = search(conn, lat=shelter[0], lon=shelter[1], radius_m=1_000, category="domestic-violence")
    assert "safe house" not in names(probe)


def test_bad_parameters_say_what_to_do(conn):
    with pytest.raises(BadRequest, match="unknown category 'bowling'.*food"):
        search(conn, category="bowling")
    with pytest.raises(BadRequest, match="unknown stage 'nap'.*prevention"):
        search(conn, stage="nap")
    with pytest.raises(BadRequest, match=f"at most {MAX_RADIUS_M}"):
        search(conn, radius_m=MAX_RADIUS_M + 1)
    with pytest.raises(BadRequest, match="cost"):
        search(conn, cost="cheap")
    with pytest.raises(BadRequest, match="age"):
        search(conn, age=200)


def test_refresh_drops_retired_services_and_deleted_ones_cascade(conn):
    ids = add_services(conn, [ServiceSpec("keep", LAT + 0.001, LON), ServiceSpec("retire", LAT + 0.002, LON),
                              ServiceSpec("delete", LAT + 0.003, LON)])
    assert names(search(conn)) == ["keep", "retire", "delete"]
    conn.execute("UPDATE service SET retired_at = now() WHERE name = 'retire'")
    conn.execute("DELETE FROM service WHERE name = 'delete'")
    assert names(search(conn)) == ["keep", "retire"]  # deleted: gone at once (ON DELETE CASCADE)
    refresh_service_points(conn)  # the full rebuild, as after a load
    assert names(search(conn)) == ["keep"]
    assert conn.execute("SELECT count(*) AS n FROM service_point WHERE id = %s", [ids["retire"]]).fetchone()["n"] == 0
    total = conn.execute("SELECT count(*) AS n FROM service_point").fetchone()["n"]
    assert total >= 3000  # the sample services came back with it
