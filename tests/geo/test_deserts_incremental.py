"""An incremental update after a few services change equals a full recompute: every cell's
distance exactly, coverage exactly, access and every stage choice's rollups to rounding; the run
is no longer stale or withheld; too many changes or a changed surface input fall back to a full run."""

from __future__ import annotations

import pytest

from geo.deserts.incremental import update_run
from geo.deserts.model import Parameters
from geo.deserts.results import withheld_runs
from geo.deserts.runs import compute_run, data_version
from geo.scope import RegionRef
from tests.geo.deserts_data import TEST_CATEGORY, add_category, add_service

CIRCUIT = RegionRef("circuit", "MO-1")  # Clark, Schuyler and Scotland counties
KAHOKA = (-91.7204, 40.4206)
MEMPHIS = (-92.1713, 40.4578)
LANCASTER = (-92.5280, 40.5209)
PARAMS = Parameters(resolution=8)


def cells(conn, run_id: int) -> dict:
    rows = conn.execute("""SELECT category, h3, distance_m, covered, access_2sfca, access_e2sfca FROM desert_cell
                           WHERE run_id = %s""", [run_id]).fetchall()
    return {(r["category"], r["h3"]): r for r in rows}


def rollups(conn, run_id: int) -> dict:
    rows = conn.execute("SELECT * FROM desert_rollup WHERE run_id = %s", [run_id]).fetchall()
    return {(r["category"], r["stage"], r["region_kind"], r["region_code"]): r for r in rows}


def assert_same(updated_cells, updated_rollups, full_cells, full_rollups) -> None:
    assert updated_cells.keys() == full_cells.keys()
    for key, full in full_cells.items():
        mine = updated_cells[key]
        assert (mine["distance_m"], mine["covered"]) == (full["distance_m"], full["covered"]), key
        assert mine["access_2sfca"] == pytest.approx(full["access_2sfca"], rel=1e-9, abs=1e-15), key
        assert mine["access_e2sfca"] == pytest.approx(full["access_e2sfca"], rel=1e-9, abs=1e-15), key
    assert updated_rollups.keys() == full_rollups.keys()
    for key, full in full_rollups.items():
        mine = updated_rollups[key]
        assert (mine["services"], mine["rank"]) == (full["services"], full["rank"]), key
        for column in ("population", "population_uncovered", "share_uncovered", "mean_distance_m", "mean_2sfca",
                       "population_with_distance"):
            expected = None if full[column] is None else pytest.approx(full[column], rel=1e-9, abs=1e-9)
            assert mine[column] == expected, (key, column)


@pytest.fixture
def circuit_run(conn):
    add_category(conn, urban_m=5000, rural_m=15000)
    moving = add_service(conn, *KAHOKA, county_fips="29045", stages=("court", "prevention"))
    leaving = add_service(conn, *MEMPHIS, county_fips="29199", capacity=None)
    shelter = add_service(conn, -92.40, 40.47, county_fips="29197", stages=("placement",))
    run_id = compute_run(conn, CIRCUIT, categories=["food", TEST_CATEGORY], params=PARAMS)
    return {"run_id": run_id, "moving": moving, "leaving": leaving, "shelter": shelter}


def move(conn, service_id: str, lon: float, lat: float) -> None:
    conn.execute("""UPDATE location SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), updated_at = now()
                    WHERE id IN (SELECT location_id FROM service_at_location WHERE service_id = %s)""",
                 [lon, lat, service_id])


def check_against_full_run(conn, run_id: int, sites_changed: int) -> None:
    update = update_run(conn, run_id)
    assert update is not None and update.sites_changed == sites_changed and update.cells_changed > 0
    version = conn.execute("SELECT data_version FROM desert_run WHERE id = %s", [run_id]).fetchone()
    assert version["data_version"] == data_version(conn) and withheld_runs(conn) == []
    mine_cells, mine_rollups = cells(conn, run_id), rollups(conn, run_id)
    full = compute_run(conn, CIRCUIT, categories=["food", TEST_CATEGORY], params=PARAMS)
    assert_same(mine_cells, mine_rollups, cells(conn, full), rollups(conn, full))


def test_one_service_moved_updates_as_a_full_recompute_would(conn, circuit_run):
    move(conn, circuit_run["moving"], *LANCASTER)
    check_against_full_run(conn, circuit_run["run_id"], 1)


def test_added_removed_and_recapacitated_services_update_as_a_full_recompute_would(conn, circuit_run):
    add_service(conn, -91.95, 40.35, county_fips="29045", stages=("prevention",), capacity=40)
    conn.execute("UPDATE service SET retired_at = now() WHERE id = %s", [circuit_run["leaving"]])
    conn.execute("UPDATE service SET capacity = 80, updated_at = now() WHERE id = %s", [circuit_run["shelter"]])
    check_against_full_run(conn, circuit_run["run_id"], 3)


def test_a_site_made_confidential_is_measured_from_its_hidden_point_and_the_run_served_again(conn, circuit_run):
    conn.execute("UPDATE service SET confidential = true WHERE id = %s", [circuit_run["shelter"]])
    assert [w["run_id"] for w in withheld_runs(conn)] == [circuit_run["run_id"]]
    check_against_full_run(conn, circuit_run["run_id"], 1)
    exact = conn.execute("SELECT exact FROM desert_run_site WHERE service_id = %s",
                         [circuit_run["shelter"]]).fetchone()
    assert exact["exact"] is False


def test_many_changes_or_a_changed_threshold_need_a_full_recompute(conn, circuit_run):
    move(conn, circuit_run["moving"], *LANCASTER)
    assert update_run(conn, circuit_run["run_id"], max_changed=0) is None
    conn.execute("UPDATE taxonomy_term SET rural_threshold_m = 20000 WHERE code = %s", [TEST_CATEGORY])
    assert update_run(conn, circuit_run["run_id"]) is None


def test_nothing_changed_changes_nothing(conn, circuit_run):
    before = rollups(conn, circuit_run["run_id"])
    update = update_run(conn, circuit_run["run_id"])
    assert update is not None and update.sites_changed == 0 and update.cells_changed == 0
    assert rollups(conn, circuit_run["run_id"]) == before


def test_following_an_edit_updates_the_runs_a_few_changed_sites_reach_and_leaves_the_rest_stale(conn, circuit_run):
    from geo.deserts.incremental import follow_changes

    move(conn, circuit_run["moving"], *LANCASTER)
    conn.execute("""UPDATE location SET updated_at = clock_timestamp()  -- now() is the test transaction's start
                    WHERE id IN (SELECT location_id FROM service_at_location WHERE service_id = %s)""",
                 [circuit_run["moving"]])
    assert follow_changes(conn).updated == [circuit_run["run_id"]]
    version = conn.execute("SELECT data_version FROM desert_run WHERE id = %s", [circuit_run["run_id"]]).fetchone()
    assert version["data_version"] == data_version(conn)
    assert follow_changes(conn).updated == []  # current now: nothing to do
    conn.execute("UPDATE taxonomy_term SET rural_threshold_m = rural_threshold_m + 1 WHERE code = 'food'")
    followed = follow_changes(conn)  # a changed threshold needs a full recompute: left stale
    assert followed.updated == [] and followed.stale == [circuit_run["run_id"]]
    stale = conn.execute("SELECT data_version FROM desert_run WHERE id = %s", [circuit_run["run_id"]]).fetchone()
    assert stale["data_version"] != data_version(conn)
