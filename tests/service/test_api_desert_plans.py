"""POST /api/deserts/what-if and GET /api/deserts/where-to over HTTP, on a committed run of one
small circuit: answers in people per county, errors as the OpenAPI declares them, nothing written,
and no confidential service movable, removable or located."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg.rows import dict_row

from geo.deserts.model import Parameters
from geo.deserts.runs import compute_run
from geo.scope import RegionRef
from tests.geo.deserts_data import TEST_CATEGORY, add_category, add_service, remove_test_data
from tests.service.test_find_geocoder import _client, slow_geocoder  # noqa: F401 - a fixture

CIRCUIT = "circuit:MO-1"  # Clark, Schuyler and Scotland counties
KAHOKA = (-91.7204, 40.4206)
MEMPHIS = (-92.1713, 40.4578)  # Scotland County's seat


@pytest.fixture(scope="module")
def plan_run(settings):
    with psycopg.connect(settings.url(), row_factory=dict_row) as conn:  # type: ignore[arg-type]
        add_category(conn, urban_m=5000, rural_m=15000)
        public = add_service(conn, *KAHOKA, county_fips="29045")
        hidden = add_service(conn, -92.55, 40.47, confidential=True, county_fips="29197")
        run_id = compute_run(conn, RegionRef("circuit", "MO-1"), categories=[TEST_CATEGORY],
                             params=Parameters(resolution=8))
        conn.commit()
        yield {"run_id": run_id, "public": public, "hidden": hidden}
        conn.execute("DELETE FROM desert_run WHERE id = %s", [run_id])
        remove_test_data(conn)
        conn.commit()


def counts(conn) -> dict:
    return conn.execute("""SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) AS n FROM pg_stat_all_tables
                           WHERE relname LIKE 'desert%%' OR relname IN ('service', 'location')""").fetchone()


def test_one_added_service_in_a_circuit_answers_per_county_within_a_second(client, plan_run):
    body = {"region": CIRCUIT, "category": TEST_CATEGORY, "changes": [{"action": "add", "lon": MEMPHIS[0],
                                                                       "lat": MEMPHIS[1]}]}
    client.post("/api/deserts/what-if", json=body)  # warm: first request imports and connects
    start = time.perf_counter()
    r = client.post("/api/deserts/what-if", json=body)
    elapsed = time.perf_counter() - start
    assert r.status_code == 200, r.text
    answer = r.json()
    assert elapsed <= 1.0, f"{elapsed:.2f} s"
    assert answer["run"]["id"] == plan_run["run_id"] and answer["run"]["stale"] is False
    assert {c["code"] for c in answer["counties"]} == {"29045", "29197", "29199"}
    assert answer["counties"][0]["code"] == "29199" and answer["counties"][0]["name"].startswith("Scotland")
    gained = answer["total"]["newly_within_reach"]
    assert gained == pytest.approx(sum(c["newly_within_reach"] for c in answer["counties"]), abs=0.5)
    assert gained > 500
    assert answer["total"]["newly_beyond_reach"] == 0


def test_what_if_writes_nothing_over_http(client, plan_run, settings):
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:  # type: ignore[arg-type]
        before = counts(conn)
        r = client.post("/api/deserts/what-if", json={
            "region": CIRCUIT, "category": TEST_CATEGORY,
            "changes": [{"action": "move", "service_id": plan_run["public"], "lon": MEMPHIS[0], "lat": MEMPHIS[1]}]})
        assert r.status_code == 200, r.text
        time.sleep(0.7)  # statistics reach pg_stat_* when a backend reports them (at most every 0.5 s idle)
        assert counts(conn) == before
    assert r.json()["total"]["newly_beyond_reach"] > 0 and r.json()["total"]["newly_within_reach"] > 0


def test_a_confidential_service_is_answered_as_unknown_and_bad_requests_say_why(client, plan_run):
    def remove(service_id: str):
        return client.post("/api/deserts/what-if", json={"region": CIRCUIT, "category": TEST_CATEGORY,
                                                          "changes": [{"action": "remove", "service_id": service_id}]})

    hidden, unknown = remove(plan_run["hidden"]), remove("no-such-service")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"].replace(plan_run["hidden"], "X") == unknown.json()["detail"].replace(
        "no-such-service", "X")
    r = client.post("/api/deserts/what-if", json={"region": CIRCUIT, "category": TEST_CATEGORY,
                                                   "changes": [{"action": "add"}]})
    assert r.status_code == 400 and "lon and lat" in r.json()["detail"]
    r = client.post("/api/deserts/what-if", json={"region": CIRCUIT, "category": TEST_CATEGORY, "changes": []})
    assert r.status_code == 422
    r = client.post("/api/deserts/what-if", json={"region": "county:29019", "category": TEST_CATEGORY,
                                                   "changes": [{"action": "add", "lon": -92.3, "lat": 38.9}]})
    assert r.status_code == 404


def test_a_service_placed_by_town_is_answered_at_its_centre_and_named(client, plan_run):
    def ask(change: dict):
        return client.post("/api/deserts/what-if", json={"region": CIRCUIT, "category": TEST_CATEGORY,
                                                          "changes": [{"action": "add", **change}]})

    by_town = ask({"near": "Memphis, MO"})
    assert by_town.status_code == 200, by_town.text
    placed = by_town.json()["changes"][0]
    assert placed["place"] == "Memphis, MO" and placed["action"] == "add"
    assert (placed["lon"], placed["lat"]) == pytest.approx(MEMPHIS, abs=0.02)
    by_point = ask({"lon": placed["lon"], "lat": placed["lat"]}).json()
    assert by_point["changes"][0]["place"] is None
    assert by_point["total"] == by_town.json()["total"] and by_point["total"]["newly_within_reach"] > 500
    assert ask({"near": "40.4578,-92.1713"}).json()["total"] == ask({"lon": MEMPHIS[0], "lat": MEMPHIS[1]}).json()["total"]
    unknown = ask({"near": "Xyzzyville, MO"})
    assert unknown.status_code == 400 and unknown.json()["detail"].startswith("changes[0].near: ")
    both = ask({"near": "Memphis, MO", "lon": MEMPHIS[0], "lat": MEMPHIS[1]})
    assert both.status_code == 400 and "not both" in both.json()["detail"]


def test_a_street_typed_for_what_if_is_placed_offline_at_its_town(settings, monkeypatch, plan_run,
                                                                   slow_geocoder):  # noqa: F811
    # An online geocoder that takes 8 s: what-if never asks it (50 places a request must not become
    # 50 calls to it), and places an address at its town's centre.
    with _client(settings, monkeypatch, slow_geocoder, timeout_s="5") as client:
        started = time.monotonic()
        r = client.post("/api/deserts/what-if", json={"region": CIRCUIT, "category": TEST_CATEGORY, "changes": [
            {"action": "add", "near": "1 Elm St, Memphis, MO"}]})
        took = time.monotonic() - started
    assert r.status_code == 200, r.text
    assert took < 3 and r.json()["changes"][0]["place"] == "Memphis, MO"


def test_the_cells_that_change_are_drawn_when_asked_and_add_up_to_the_people_counted(client, plan_run):
    import h3.api.basic_int as h3i
    import shapely.geometry

    def ask(change: dict, **extra):  # type: ignore[no-untyped-def]
        r = client.post("/api/deserts/what-if", json={"region": CIRCUIT, "category": TEST_CATEGORY,
                                                       "changes": [change], **extra})
        assert r.status_code == 200, r.text
        return r.json()

    add = {"action": "add", "lon": MEMPHIS[0], "lat": MEMPHIS[1]}
    assert ask(add)["changed_cells"] is None  # only when asked: a page of counts stays small
    answer = ask(add, cells=True)
    features = answer["changed_cells"]["features"]
    assert features and {f["properties"]["change"] for f in features} == {"gained"}
    gained = sum(f["properties"]["population"] for f in features)
    assert gained == pytest.approx(answer["total"]["newly_within_reach"], abs=0.05 * len(features))
    for f in features:  # each hexagon is its cell's, at the run's resolution
        shape = shapely.geometry.shape(f["geometry"])
        centre = shape.centroid
        assert h3i.latlng_to_cell(centre.y, centre.x, answer["run"]["resolution"]) == int(f["id"], 16)
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 6  # closed
    moved = ask({"action": "move", "service_id": plan_run["public"], "lon": MEMPHIS[0], "lat": MEMPHIS[1]},
                cells=True)
    changes = {f["properties"]["change"] for f in moved["changed_cells"]["features"]}
    assert changes == {"gained", "lost"}
    lost = sum(f["properties"]["population"] for f in moved["changed_cells"]["features"]
               if f["properties"]["change"] == "lost")
    assert lost == pytest.approx(moved["total"]["newly_beyond_reach"], abs=0.05 * len(moved["changed_cells"]["features"]))


def test_where_to_suggests_towns_with_their_people(client, plan_run):
    r = client.get("/api/deserts/where-to", params={"region": CIRCUIT, "category": TEST_CATEGORY, "k": 2})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["optimal"] and len(answer["sites"]) == 2 and answer["candidates"] == "towns"
    assert all(s["name"].endswith(", MO") and s["newly_within_reach"] > 0 for s in answer["sites"])
    assert answer["newly_within_reach"] <= answer["beyond_reach_before"]
    cells = client.get("/api/deserts/where-to", params={"region": CIRCUIT, "category": TEST_CATEGORY, "k": 2,
                                                         "candidates": "cells"}).json()
    assert cells["newly_within_reach"] >= answer["newly_within_reach"] * 0.8
    assert client.get("/api/deserts/where-to", params={"region": CIRCUIT, "category": TEST_CATEGORY,
                                                       "k": 0}).status_code == 422


def test_the_openapi_declares_both_routes_with_their_answers_and_errors(client):
    spec = client.get("/openapi.json").json()
    what_if = spec["paths"]["/api/deserts/what-if"]["post"]
    where_to = spec["paths"]["/api/deserts/where-to"]["get"]
    for op in (what_if, where_to):
        assert {"200", "400", "404", "422"} <= set(op["responses"])
    assert what_if["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("WhatIfAnswer")
