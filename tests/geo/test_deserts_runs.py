"""Desert runs against the real PostGIS: what is stored, rollups, the gap matrix, confidential
services, and recomputing after services change. Small regions, coarse resolutions."""

from __future__ import annotations

import json

import h3
import pytest

from geo.deserts.model import Parameters
from geo.deserts.results import desert_cells_geojson, gap_matrix, gap_matrix_table
from geo.deserts.runs import (
    compute_run,
    recompute_for_region,
    region_counties,
)
from geo.deserts.surface import build_surface, places_in_bounds
from geo.errors import BadRequest, NotFound
from geo.scope import RegionRef
from tests.geo.deserts_data import TEST_CATEGORY, add_category, add_service, near_grid_corner

BOONE = RegionRef("county", "29019")
COLUMBIA = (-92.334, 38.952)


def rollup(conn, run_id: int, kind: str, code: str, category: str, stage: str | None = None) -> dict:
    row = conn.execute(
        """SELECT * FROM desert_rollup WHERE run_id = %s AND region_kind = %s AND region_code = %s
           AND category = %s AND stage IS NOT DISTINCT FROM %s""",
        [run_id, kind, code, category, stage],
    ).fetchone()
    assert row is not None
    return row


def test_a_run_stores_every_person_of_the_county_with_its_parameters(conn):
    run_id = compute_run(conn, BOONE, categories=["food"], params=Parameters(resolution=7))
    run = conn.execute("SELECT * FROM desert_run WHERE id = %s", [run_id]).fetchone()
    assert run["status"] == "done" and run["finished_at"] >= run["started_at"]
    assert run["resolution"] == 7 and run["category"] == "food" and run["stage"] is None
    assert run["parameters"]["decay"]["kind"] == "step" and run["parameters"]["counties"] == ["29019"]
    assert "services=" in run["data_version"] and run["parameters"]["place_spread"] == "cell"
    cells = conn.execute(
        """SELECT count(*) AS n, sum(population) AS people, bool_and(h3 IS NOT NULL) AS valid,
                  bool_and(covered = (distance_m <= threshold_m)) AS consistent
           FROM desert_cell WHERE run_id = %s""", [run_id]).fetchone()
    boone = conn.execute("SELECT population FROM region WHERE kind = 'county' AND code = '29019'").fetchone()
    assert cells["n"] == run["cells"] > 300 and cells["valid"] and cells["consistent"]
    assert cells["people"] == pytest.approx(boone["population"])
    assert rollup(conn, run_id, "county", "29019", "food")["population"] == pytest.approx(boone["population"])


def test_footprints_spread_a_big_citys_people_that_the_default_piles_in_one_cell(conn):
    """Jackson County (Kansas City): GeoNames' places add up to more than the county. The default
    puts each place in the cell at its point, so one cell holds half the county; footprints spread
    them over the city."""
    counties = region_counties(conn, RegionRef("county", "29095"))
    places = places_in_bounds(counties[0].geom.bounds)
    by_cell = build_surface(counties, places, 7).population
    spread = build_surface(counties, places, 7, place_spread="footprint").population
    assert by_cell.sum() == pytest.approx(counties[0].population) == pytest.approx(spread.sum())
    assert by_cell.max() > 0.4 * by_cell.sum() and (by_cell > 0).mean() < 0.1
    assert spread.max() < 0.02 * spread.sum() and (spread > 0).mean() > 0.5


def test_a_run_with_footprints_records_it_and_recompute_keeps_it(conn):
    run_id = compute_run(conn, BOONE, categories=["food"], params=Parameters(resolution=7, place_spread="footprint"))
    params = conn.execute("SELECT parameters FROM desert_run WHERE id = %s", [run_id]).fetchone()["parameters"]
    assert params["place_spread"] == "footprint"
    people = conn.execute("SELECT max(population) AS top, sum(population) AS all FROM desert_cell WHERE run_id = %s",
                          [run_id]).fetchone()
    assert people["top"] < 0.05 * people["all"]
    (again,) = recompute_for_region(conn, BOONE)
    params = conn.execute("SELECT parameters FROM desert_run WHERE id = %s", [again]).fetchone()["parameters"]
    assert params["place_spread"] == "footprint"
    with pytest.raises(BadRequest):
        Parameters(place_spread="everywhere")


def test_unknown_regions_categories_and_stages_are_refused(conn):
    with pytest.raises(NotFound):
        compute_run(conn, RegionRef("circuit", "MO-99"), categories=["food"])
    with pytest.raises(NotFound):
        compute_run(conn, BOONE, categories=["no-such-category"])
    with pytest.raises(NotFound):
        compute_run(conn, BOONE, categories=["food"], stage="no-such-stage")


def test_a_confidential_shelter_counts_toward_coverage_at_a_generalised_point(conn):
    add_category(conn, urban_m=5000, rural_m=5000)
    lon, lat = near_grid_corner(*COLUMBIA)
    add_service(conn, lon, lat, confidential=True, county_fips="29019")
    run_id = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=Parameters(resolution=8))
    county = rollup(conn, run_id, "county", "29019", TEST_CATEGORY)
    assert county["services"] == 1
    assert 0 < county["population_uncovered"] < county["population"]  # it covers some people
    own_cell = h3.latlng_to_cell(lat, lon, 8)
    at_site = conn.execute("SELECT distance_m FROM desert_cell WHERE run_id = %s AND h3 = %s",
                           [run_id, own_cell]).fetchone()
    # Measured from the centre of its 5 km square (~3.4 km away), never from the site itself.
    assert at_site["distance_m"] > 2500
    nearest = conn.execute("SELECT min(distance_m) AS d FROM desert_cell WHERE run_id = %s", [run_id]).fetchone()
    assert nearest["d"] < 600


def test_rollups_per_circuit_add_up_their_counties_and_rank_them(conn):
    run_id = compute_run(conn, RegionRef("circuit", "MO-13"), categories=["mental-health"],
                         params=Parameters(resolution=6))
    counties = conn.execute(
        """SELECT * FROM desert_rollup WHERE run_id = %s AND region_kind = 'county' AND category = 'mental-health'
           AND stage IS NULL ORDER BY rank""", [run_id]).fetchall()
    circuit = rollup(conn, run_id, "circuit", "MO-13", "mental-health")
    assert [c["region_code"] for c in counties] and len(counties) == 2
    assert circuit["population"] == pytest.approx(sum(c["population"] for c in counties))
    assert circuit["population_uncovered"] == pytest.approx(sum(c["population_uncovered"] for c in counties))
    assert counties[0]["share_uncovered"] >= counties[1]["share_uncovered"]
    assert [c["rank"] for c in counties] == [1, 2]
    assert circuit["share_uncovered"] == pytest.approx(circuit["population_uncovered"] / circuit["population"])


def test_the_gap_matrix_counts_services_per_stage_and_people_beyond_reach(conn):
    add_category(conn, urban_m=8000, rural_m=20000)
    add_service(conn, *COLUMBIA, stages=("court",), county_fips="29019")
    add_service(conn, -92.257, 38.772, stages=("court", "placement"), county_fips="29019")
    add_service(conn, -91.948, 38.847, stages=("prevention",), county_fips="29027")  # Fulton, Callaway
    add_service(conn, -92.173, 38.577, stages=("court",), county_fips="29051")  # Jefferson City: not in MO-13
    region = RegionRef("circuit", "MO-13")
    compute_run(conn, region, categories=[TEST_CATEGORY, "food"], params=Parameters(resolution=6))
    matrix = gap_matrix(conn, region)
    assert matrix["categories"] == ["food", TEST_CATEGORY]
    assert matrix["stages"] == ["all", "prevention", "early-help", "investigation", "court", "placement",
                                "aftercare"]
    row = matrix["matrix"][TEST_CATEGORY]
    assert {stage: row[stage]["services"] for stage in matrix["stages"]} == {
        "all": 3, "prevention": 1, "early-help": 0, "investigation": 0, "court": 2, "placement": 1, "aftercare": 0}
    assert row["early-help"]["population_uncovered"] == pytest.approx(matrix["population"], abs=0.1)
    assert row["all"]["population_uncovered"] < row["court"]["population_uncovered"] < matrix["population"]
    table = gap_matrix_table(matrix)
    assert table[0][:3] == ["category", "all population_uncovered", "all services"]
    assert [r[0] for r in table[1:]] == ["food", TEST_CATEGORY]
    assert table[2][2] == 3


def test_recompute_for_region_replaces_overlapping_runs_after_services_change(conn):
    add_category(conn, urban_m=5000, rural_m=5000)
    add_service(conn, *COLUMBIA, county_fips="29019")
    params = Parameters(resolution=7)
    before = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=params)
    elsewhere = compute_run(conn, RegionRef("county", "29051"), categories=[TEST_CATEGORY], params=params)
    uncovered_before = rollup(conn, before, "county", "29019", TEST_CATEGORY)["population_uncovered"]

    add_service(conn, -92.257, 38.772, county_fips="29019")  # a second one, in Ashland
    [after] = recompute_for_region(conn, RegionRef("county", "29019"))
    assert after != before
    assert conn.execute("SELECT 1 FROM desert_run WHERE id = %s", [before]).fetchone() is None
    assert conn.execute("SELECT 1 FROM desert_run WHERE id = %s", [elsewhere]).fetchone() is not None
    fresh = rollup(conn, after, "county", "29019", TEST_CATEGORY)
    assert fresh["services"] == 2 and fresh["population_uncovered"] < uncovered_before
    run = conn.execute("SELECT resolution, category FROM desert_run WHERE id = %s", [after]).fetchone()
    assert run["resolution"] == 7 and run["category"] == TEST_CATEGORY


def test_a_new_run_replaces_only_runs_whose_categories_it_recomputed(conn):
    params = Parameters(resolution=5)
    region = RegionRef("circuit", "MO-13")
    both = compute_run(conn, region, categories=["food", "legal-aid"], params=params)
    food = compute_run(conn, region, categories=["food"], params=params)
    assert conn.execute("SELECT 1 FROM desert_run WHERE id = %s", [both]).fetchone() is not None
    again = compute_run(conn, region, categories=["legal-aid", "food"], params=params)
    left = {r["id"] for r in conn.execute("SELECT id FROM desert_run WHERE region_code = 'MO-13'")}
    assert left == {again}
    assert food not in left


def test_editing_a_categorys_thresholds_changes_coverage_on_the_next_run(conn):
    add_category(conn, urban_m=2000, rural_m=3000)
    add_service(conn, *COLUMBIA, county_fips="29019")
    params = Parameters(resolution=7)
    strict = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=params)
    strict_share = rollup(conn, strict, "county", "29019", TEST_CATEGORY)["share_uncovered"]
    strict_version = conn.execute("SELECT data_version FROM desert_run WHERE id = %s", [strict]).fetchone()
    conn.execute("UPDATE taxonomy_term SET urban_threshold_m = 20000, rural_threshold_m = 30000 WHERE code = %s",
                 [TEST_CATEGORY])
    lenient = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=params)
    lenient_share = rollup(conn, lenient, "county", "29019", TEST_CATEGORY)["share_uncovered"]
    assert lenient_share < strict_share
    thresholds = conn.execute(
        "SELECT DISTINCT threshold_m FROM desert_cell WHERE run_id = %s ORDER BY 1", [lenient]).fetchall()
    assert {t["threshold_m"] for t in thresholds} <= {20000, 30000}
    version = conn.execute("SELECT data_version FROM desert_run WHERE id = %s", [lenient]).fetchone()
    assert version["data_version"] != strict_version["data_version"]  # thresholds are part of it


def test_a_region_too_big_at_fine_resolution_is_served_from_a_coarser_run(conn):
    region = RegionRef("circuit", "MO-13")
    coarse = compute_run(conn, region, categories=["food"], params=Parameters(resolution=5))
    fine = compute_run(conn, region, categories=["food"], params=Parameters(resolution=7))
    cells = {r["id"]: r["cells"] for r in conn.execute("SELECT id, cells FROM desert_run WHERE id IN (%s, %s)",
                                                       [coarse, fine])}
    newest = json.loads(desert_cells_geojson(conn, region, "food", max_cells=cells[fine]))
    assert newest["run"]["id"] == fine and len(newest["features"]) == cells[fine]
    fitting = json.loads(desert_cells_geojson(conn, region, "food", max_cells=cells[fine] - 1))
    assert fitting["run"]["id"] == coarse and fitting["run"]["resolution"] == 5
    with pytest.raises(BadRequest, match="--resolution"):
        desert_cells_geojson(conn, region, "food", max_cells=cells[coarse] - 1)
    asked = json.loads(desert_cells_geojson(conn, region, "food", resolution=7))
    assert asked["run"]["id"] == fine
