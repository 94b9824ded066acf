"""A site made confidential after a desert run: the run's numbers for that category leave every
output (cells in every measure, tiles, rollups, the gap matrix, the map layers) in the statement
that reads them, and come back from a recompute measured from the site's generalised point
(geo/deserts/privacy.py)."""

from __future__ import annotations

import importlib
import json
import math

import h3
import mapbox_vector_tile
import pytest

from geo.deserts.model import Parameters
from geo.deserts.results import (
    MEASURES,
    desert_cells_geojson,
    desert_rollups_geojson,
    gap_matrix,
    region_report,
    rollups,
    withheld_runs,
)
from geo.deserts.runs import compute_run, recompute_for_region, recompute_withheld
from geo.scope import RegionRef
from geo.tiles import render_tile
from layers.deserts import desert_cells_layer, desert_rollups_layer
from tests.geo.deserts_data import (
    TEST_CATEGORY,
    add_category,
    add_service,
    near_grid_corner,
    used_point,
)

BOONE = RegionRef("county", "29019")
COLUMBIA = (-92.334, 38.952)


def site_location(conn, service_id: str) -> str:
    return conn.execute("SELECT location_id FROM service_at_location WHERE service_id = %s",
                        [service_id]).fetchone()["location_id"]


def make_confidential(conn, service_id: str, which: str) -> None:
    """As an admin would in psql: only the flag changes, nothing else is bumped."""
    if which == "service":
        conn.execute("UPDATE service SET confidential = true WHERE id = %s", [service_id])
    else:
        conn.execute("UPDATE location SET confidential = true WHERE id = %s", [site_location(conn, service_id)])


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def tile_cells(conn, lon: float, lat: float, category: str | None) -> list[dict]:
    x, y = tile_of(lon, lat, 10)
    data = render_tile(conn, "deserts", 10, x, y, category=category)
    return mapbox_vector_tile.decode(data).get("deserts", {}).get("features", []) if data else []


def cell_distance(collection: dict, lon: float, lat: float, resolution: int) -> float:
    cell = h3.latlng_to_cell(lat, lon, resolution)
    [feature] = [f for f in collection["features"] if f["properties"]["h3"] == cell]
    return feature["properties"]["distance_m"]


@pytest.fixture
def public_site_run(conn):
    """A public shelter near the corner of its 5 km square, and a run that measured from its point."""
    add_category(conn, urban_m=5000, rural_m=5000)
    site = near_grid_corner(*COLUMBIA)
    service_id = add_service(conn, *site, county_fips="29019")
    run_id = compute_run(conn, BOONE, categories=[TEST_CATEGORY, "food"], params=Parameters(resolution=8))
    return {"site": site, "service_id": service_id, "run_id": run_id}


def test_a_run_records_the_sites_it_measured_from_at_their_exact_point(conn, public_site_run):
    hidden = add_service(conn, *near_grid_corner(-92.257, 38.772), confidential=True, county_fips="29019")
    run_id = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=Parameters(resolution=6))
    sites = {(r["service_id"], r["location_id"]) for r in conn.execute(
        "SELECT service_id, location_id FROM desert_run_site WHERE run_id = %s AND category = %s AND exact",
        [run_id, TEST_CATEGORY])}
    public = public_site_run["service_id"]
    assert (public, site_location(conn, public)) in sites
    assert hidden not in {s for s, _ in sites}  # measured from its square's centre: nothing to record
    assert withheld_runs(conn) == []


@pytest.mark.parametrize("which", ["service", "location"])
def test_a_site_made_confidential_after_a_run_is_in_no_output_until_recomputed(conn, public_site_run, which):
    lon, lat = public_site_run["site"]
    run_id = public_site_run["run_id"]
    before = json.loads(desert_cells_geojson(conn, BOONE, TEST_CATEGORY))
    assert before["run"]["withheld"] is None and cell_distance(before, lon, lat, 8) < 600
    assert {f["properties"]["category"] for f in tile_cells(conn, lon, lat, TEST_CATEGORY)} == {TEST_CATEGORY}

    make_confidential(conn, public_site_run["service_id"], which)

    for measure in MEASURES:
        held = json.loads(desert_cells_geojson(conn, BOONE, TEST_CATEGORY, measure=measure))
        assert held["features"] == []
        assert held["run"]["id"] == run_id and held["run"]["stale"] is True
        assert held["run"]["withheld"].startswith("recompute needed: a site it used is now confidential")
    food = json.loads(desert_cells_geojson(conn, BOONE, "food"))  # other categories never used the site
    assert food["features"] and food["run"]["withheld"] is None

    assert tile_cells(conn, lon, lat, TEST_CATEGORY) == []
    assert TEST_CATEGORY not in {f["properties"]["category"] for f in tile_cells(conn, lon, lat, None)}
    assert all(r["run_id"] != run_id for r in rollups(conn, "county", category=TEST_CATEGORY))
    assert [(w["run_id"], w["category"]) for w in withheld_runs(conn, kind="county", code="29019")] == [
        (run_id, TEST_CATEGORY)]
    matrix = gap_matrix(conn, BOONE)
    assert TEST_CATEGORY not in matrix["categories"] and "food" in matrix["categories"]
    assert matrix["withheld"][TEST_CATEGORY].startswith("recompute needed")
    assert region_report(conn, BOONE, category="food")["stale"] is True
    scope = RegionRef("county", "29019")
    shapes = desert_rollups_geojson(conn, scope, region_kind="county", category=TEST_CATEGORY, stage=None)
    assert all(f["properties"]["run_id"] != run_id for f in shapes["features"])
    cells_layer = desert_cells_layer(conn, scope, category=TEST_CATEGORY, stage=None, measure="distance")
    rollups_layer = desert_rollups_layer(conn, scope, region_kind="county", category=TEST_CATEGORY,
                                         stage=None, measure="distance")
    for layer in (cells_layer, rollups_layer):
        assert layer["features"] == [] and "withheld" in json.dumps(layer["legend"])

    [again] = recompute_for_region(conn, BOONE) if which == "service" else recompute_withheld(conn)
    assert withheld_runs(conn) == []
    after = json.loads(desert_cells_geojson(conn, BOONE, TEST_CATEGORY))
    assert after["run"]["id"] == again and after["run"]["withheld"] is None and after["features"]
    # Measured from a point hiding it among 10,000 residents, never from the site itself.
    assert cell_distance(after, lon, lat, 8) > 2500
    assert cell_distance(after, *used_point(conn, BOONE, 8), 8) < 600
    assert any(r["run_id"] == again for r in rollups(conn, "county", category=TEST_CATEGORY))
    assert TEST_CATEGORY in gap_matrix(conn, BOONE)["categories"]
    assert {f["properties"]["category"] for f in tile_cells(conn, lon, lat, TEST_CATEGORY)} == {TEST_CATEGORY}


def test_recompute_withheld_reruns_only_the_runs_that_used_the_site(conn, public_site_run):
    elsewhere = compute_run(conn, RegionRef("county", "29051"), categories=["food"], params=Parameters(resolution=6))
    make_confidential(conn, public_site_run["service_id"], "service")
    [again] = recompute_withheld(conn)
    runs = {r["id"] for r in conn.execute("SELECT id FROM desert_run WHERE status = 'done'")}
    assert public_site_run["run_id"] not in runs and {again, elsewhere} <= runs
    assert recompute_withheld(conn) == []


def test_runs_from_before_sites_were_recorded_are_treated_as_having_used_every_site_near_them(conn):
    """Migration 0013 backfills older runs from today's data, public or confidential."""
    add_category(conn, urban_m=5000, rural_m=5000)
    shelter = add_service(conn, *near_grid_corner(*COLUMBIA), confidential=True, county_fips="29019")
    run_id = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=Parameters(resolution=6))
    assert withheld_runs(conn) == []  # measured from the square's centre
    conn.execute("DELETE FROM desert_run_site WHERE run_id = %s", [run_id])  # as before 0013
    migration = importlib.import_module("geo.migrations.versions.0013_desert_run_sites")
    conn.execute(migration.BACKFILL)
    recorded = {r["service_id"] for r in conn.execute(
        "SELECT service_id FROM desert_run_site WHERE run_id = %s", [run_id])}
    assert shelter in recorded  # it may have been public when the run was made
    assert [w["run_id"] for w in withheld_runs(conn)] == [run_id]
