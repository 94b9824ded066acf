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
