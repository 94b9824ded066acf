"""`atlas deserts compute` stores a run for the asked region, category and resolution."""

from __future__ import annotations

import os
import subprocess
import sys


def test_atlas_deserts_compute_stores_a_run_and_reports_it(committed_conn, settings):
    env = {**os.environ, "ATLAS_DATABASE_URL": settings.url(), "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "deserts", "compute", "--region", "circuit:MO-2",
         "--category", "food", "--resolution", "6", "--place-spread", "footprint"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    run = committed_conn.execute(
        """SELECT id, region_kind, region_code, category, resolution, status, cells, parameters FROM desert_run
           WHERE region_code = 'MO-2' ORDER BY id DESC LIMIT 1""").fetchone()
    try:
        assert (run["region_kind"], run["category"], run["resolution"], run["status"]) == ("circuit", "food", 6, "done")
        assert run["cells"] > 0 and f"stored run {run['id']}" in done.stderr
        assert run["parameters"]["place_spread"] == "footprint"
    finally:
        committed_conn.execute("DELETE FROM desert_run WHERE id = %s", [run["id"]])


def test_atlas_deserts_compute_refuses_an_unknown_region(settings):
    env = {**os.environ, "ATLAS_DATABASE_URL": settings.url()}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "deserts", "compute", "--region", "circuit:MO-99"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1 and "MO-99" in done.stderr


def test_atlas_deserts_compute_refuses_an_unknown_place_spread(settings):
    env = {**os.environ, "ATLAS_DATABASE_URL": settings.url()}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "deserts", "compute", "--region", "circuit:MO-2",
         "--place-spread", "everywhere"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1 and "--place-spread must be cell or footprint" in done.stdout + done.stderr


def test_atlas_deserts_recompute_updates_a_run_in_place_after_one_service_moves(committed_conn, settings):
    """The run keeps its id (updated, not recomputed) and is no longer stale; --full computes anew."""
    from geo.deserts.model import Parameters
    from geo.deserts.runs import compute_run, data_version
    from geo.scope import RegionRef
    from tests.geo.deserts_data import TEST_CATEGORY, add_category, add_service, remove_test_data

    env = {**os.environ, "ATLAS_DATABASE_URL": settings.url(), "COLUMNS": "200"}
    add_category(committed_conn, urban_m=5000, rural_m=15000)
    service = add_service(committed_conn, -91.7204, 40.4206, county_fips="29045")
    run_id = compute_run(committed_conn, RegionRef("circuit", "MO-1"), categories=[TEST_CATEGORY],
                         params=Parameters(resolution=7))
    try:
        committed_conn.execute(
            """UPDATE location SET geom = ST_SetSRID(ST_MakePoint(-92.17, 40.46), 4326), updated_at = now()
               WHERE id IN (SELECT location_id FROM service_at_location WHERE service_id = %s)""", [service])
        done = subprocess.run([sys.executable, "-m", "service.cli", "deserts", "recompute", "--region", "county:29199"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"Updated 1 run(s) in place: {run_id}; recomputed 0 run(s)" in done.stderr
        run = committed_conn.execute("SELECT data_version FROM desert_run WHERE id = %s", [run_id]).fetchone()
        assert run["data_version"] == data_version(committed_conn)
        done = subprocess.run([sys.executable, "-m", "service.cli", "deserts", "recompute", "--region", "county:29199",
                               "--full"], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "Updated 0 run(s) in place; recomputed 1 run(s)" in done.stderr
    finally:
        committed_conn.execute("DELETE FROM desert_run WHERE region_code = 'MO-1' AND id >= %s", [run_id])
        remove_test_data(committed_conn)
