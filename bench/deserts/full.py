"""Benchmark a full desert run: every category, rollups for every landscape stage, cells stored
for all stages together, H3 resolution 8, Missouri and Massachusetts — as `atlas deserts compute`
does — and what it stores.

    ATLAS_DB_NAME=<db> .venv/bin/python bench/deserts/full.py [--states 29 25]

Commits the runs (they replace earlier runs of the same states, stage and resolution), then reports
wall and CPU seconds per state, the load average, and the bytes the desert tables hold (cells,
measures, rollups, sites), after VACUUM so dead rows of replaced runs are not counted.
"""

from __future__ import annotations

import argparse
import os
import time

from geo.db import connect
from geo.deserts.model import Parameters
from geo.deserts.runs import compute_run
from geo.deserts.surface import us_places
from geo.scope import RegionRef
from geo.settings import Settings

TABLES = ("desert_surface", "desert_surface_block", "desert_measure", "desert_rollup", "desert_run_site",
          "desert_run")


def stored_bytes(conn, run_ids: list[int]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Bytes on disk (heap, TOAST, indexes) of each desert table."""
    return {t: conn.execute("SELECT pg_total_relation_size(%s::regclass) AS n", [t]).fetchone()["n"]
            for t in TABLES}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--states", nargs="+", default=["29", "25"])
    parser.add_argument("--resolution", type=int, default=8)
    args = parser.parse_args()
    us_places()  # GeoNames is parsed once per process, outside the timings
    rows = []
    ids = []
    settings = Settings()
    with connect(settings) as conn:
        total_wall = total_cpu = 0.0
        for state in args.states:
            start, start_cpu = time.perf_counter(), time.process_time()
            run_id = compute_run(conn, RegionRef("state", state), params=Parameters(resolution=args.resolution))
            conn.commit()
            wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            total_wall += wall
            total_cpu += cpu
            row = conn.execute("SELECT cells FROM desert_run WHERE id = %s", [run_id]).fetchone()
            cells = row["cells"] if row else 0
            rows.append((f"state {state}: {cells:,} cells × 20 categories, rollups × 7 stage choices", wall, cpu))
            ids.append(run_id)
            print(f"state {state}: {wall:.1f} s wall, {cpu:.1f} s CPU, load {os.getloadavg()[0]:.1f}", flush=True)
        rows.append(("**all states**", total_wall, total_cpu))
    with connect(settings, autocommit=True) as conn:
        for t in TABLES:
            conn.execute(f"VACUUM {t}")  # noqa: S608 - fixed names
        sizes = stored_bytes(conn, ids)
        other = conn.execute("SELECT count(*) AS n FROM desert_run WHERE NOT id = ANY(%s)", [ids]).fetchone()
        others = other["n"] if other else 0
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()} on {os.cpu_count()} cores")
    print("| step | wall s | CPU s (this process) |\n| --- | --- | --- |")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.1f} | {cpu:.1f} |")
    print(f"\nstored (other runs in the database: {others}):")
    for t, n in sizes.items():
        print(f"  {t}: {n / 1e6:.1f} MB")
    print(f"  total: {sum(sizes.values()) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
