"""Benchmark incremental recompute, what-if and where-to on a full Missouri run (issue 17).

    ATLAS_DB_NAME=<db> .venv/bin/python bench/deserts/plans.py [--state 29] [--circuit MO-11] [--k 3]

1. A full run of the state (every category, rollups for every stage, resolution 8) is computed and
   committed unless one is already stored (its time is bench/deserts/full.py's business).
2. Incremental: one public service of `--category` is moved ~10 km; `update_run` brings the
   whole-state run up to date (timed, wall and CPU); a full run of that category alone is then
   computed in the same transaction and compared with it (every cell's distance and coverage
   exactly, access and every stage choice's rollups to 1e-9). The transaction is rolled back.
3. What-if: one service added in the middle of a circuit (median of 5).
4. Where-to vs PySAL spopt MCLP on the circuit: the same candidates (its towns) and demand (cells
   beyond reach); spopt gets the demand × candidate geodesic matrix divided by each cell's
   threshold, radius 1, and CBC; ours builds pairs with the KD-tree and solves with HiGHS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import h3
import numpy as np

from geo.db import connect
from geo.deserts.incremental import update_run
from geo.deserts.measures import geodesic_m
from geo.deserts.model import Parameters
from geo.deserts.runs import compute_run, region_counties
from geo.deserts.stored import stored_cells, stored_measures
from geo.deserts.surface import us_places
from geo.deserts.whatif import Change, what_if
from geo.deserts.whereto import cover_problem, solve
from geo.gazetteer import us_places as gazetteer_places
from geo.scope import RegionRef
from geo.settings import Settings


def timed(fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def state_run(conn, state: str) -> int:  # type: ignore[no-untyped-def]
    row = conn.execute("""SELECT id FROM desert_run WHERE region_kind = 'state' AND region_code = %s
                          AND resolution = 8 AND stage IS NULL AND status = 'done'
                          AND jsonb_array_length(parameters->'categories') > 1 ORDER BY id DESC LIMIT 1""",
                       [state]).fetchone()
    if row:
        return int(row["id"])
    run_id, wall, cpu = timed(lambda: compute_run(conn, RegionRef("state", state), params=Parameters(resolution=8)))
    conn.commit()
    print(f"full run of state {state}: {wall:.1f} s wall, {cpu:.1f} s CPU (run {run_id})")
    return run_id


def compare(conn, mine: int, full: int, category: str) -> None:  # type: ignore[no-untyped-def]
    """Largest differences between two runs' cells (read as arrays) and rollups of one category."""
    surfaces = {r["id"]: r["surface_id"] for r in conn.execute(
        "SELECT id, surface_id FROM desert_run WHERE id = ANY(%s)", [[mine, full]])}
    assert surfaces[mine] == surfaces[full], "the same surface"
    cells = stored_cells(conn, surfaces[mine])
    a, b = (stored_measures(conn, run, category, None, cells) for run in (mine, full))
    threshold = a.threshold(cells.urban)
    same_distance = np.array_equal(a.distance_m, b.distance_m)
    same_cover = np.array_equal(a.distance_m <= threshold, b.distance_m <= threshold)
    rel2 = np.max(np.abs(a.access_2sfca - b.access_2sfca) / np.maximum(np.abs(b.access_2sfca), 1e-300))
    roll = conn.execute(
        """SELECT max(abs(a.population_uncovered - b.population_uncovered)) AS unc,
                  max(abs(coalesce(a.mean_distance_m, 0) - coalesce(b.mean_distance_m, 0))) AS dist,
                  max(abs(coalesce(a.mean_2sfca, 0) - coalesce(b.mean_2sfca, 0))
                      / greatest(abs(coalesce(b.mean_2sfca, 0)), 1e-300)) AS a2,
                  bool_and(a.rank = b.rank AND a.services = b.services) AS same_rank, count(*) AS n
           FROM desert_rollup a JOIN desert_rollup b USING (region_kind, region_code, category)
           WHERE a.run_id = %s AND b.run_id = %s AND a.category = %s
             AND a.stage IS NOT DISTINCT FROM b.stage""", [mine, full, category]).fetchone()
    print(f"  cells compared {len(cells):,}: distances identical {same_distance}, coverage identical {same_cover}, "
          f"max relative Δ2SFCA {rel2:.1e}")
    print(f"  rollups compared {roll['n']:,} (7 stage choices): max |Δpeople beyond reach| {roll['unc']:.1e}, "
          f"max |Δmean distance| {roll['dist']:.1e} m, max relative Δmean 2SFCA {roll['a2']:.1e}, "
          f"ranks and services equal {roll['same_rank']}")


def incremental(conn, run_id: int, category: str) -> None:  # type: ignore[no-untyped-def]
    site = conn.execute(
        """SELECT s.id, l.id AS location_id FROM service s JOIN service_at_location sal ON sal.service_id = s.id
           JOIN location l ON l.id = sal.location_id JOIN attribute a ON a.link_id = s.id
           JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
           WHERE t.code = %s AND NOT s.confidential AND NOT l.confidential AND l.county_fips LIKE '29%%'
             AND s.status = 'active' AND s.retired_at IS NULL ORDER BY s.id LIMIT 1""", [category]).fetchone()
    conn.execute("""UPDATE location SET geom = ST_Translate(geom, 0.1, 0.05), updated_at = now() WHERE id = %s""",
                 [site["location_id"]])
    update, wall, cpu = timed(lambda: update_run(conn, run_id))
    assert update is not None
    print(f"incremental update after one {category} service moved ~10 km: {wall:.3f} s wall, {cpu:.3f} s CPU "
          f"({update.sites_changed} site, {update.cells_changed:,} cells, {update.counties_rewritten} counties "
          "rewritten)")
    full, wall_full, cpu_full = timed(lambda: compute_run(conn, RegionRef(*_region(conn, run_id)),
                                                         categories=[category], params=Parameters(resolution=8)))
    print(f"full run of {category} alone for comparison: {wall_full:.1f} s wall, {cpu_full:.1f} s CPU")
    compare(conn, run_id, full, category)
    conn.rollback()


def _region(conn, run_id: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    row = conn.execute("SELECT region_kind, region_code FROM desert_run WHERE id = %s", [run_id]).fetchone()
    return row["region_kind"], row["region_code"]


def what_if_bench(conn, circuit: RegionRef, category: str) -> None:  # type: ignore[no-untyped-def]
    centre = conn.execute("""SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat
                             FROM region WHERE kind = %s AND code = %s""", [circuit.kind, circuit.code]).fetchone()
    times = []
    for _ in range(5):
        answer, wall, _cpu = timed(lambda: what_if(conn, circuit, category, [Change("add", centre["lon"], centre["lat"])]))
        times.append(wall)
    print(f"what-if, one {category} service added in {circuit}: median {statistics.median(times):.3f} s, best "
          f"{min(times):.3f} s (target ≤ 1 s); newly within reach {answer['total']['newly_within_reach']:,.0f}")
    conn.rollback()


def where_to_bench(conn, circuit: RegionRef, category: str, k: int, candidates: str) -> None:  # type: ignore[no-untyped-def]
    import pulp
    from spopt.locate import MCLP

    (problem, run), wall_build, _ = timed(lambda: cover_problem(conn, circuit, category, candidates))
    choice, wall_solve, _ = timed(lambda: solve(problem, k))
    rows = conn.execute(
        """SELECT c.h3, c.threshold_m FROM desert_cell c WHERE c.run_id = %s AND c.category = %s
           AND NOT c.covered AND c.population > 0 AND c.county_fips = ANY(%s) ORDER BY c.county_fips, c.h3""",
        [run["id"], category, [c.fips for c in region_counties(conn, circuit)]]).fetchall()
    centres = np.array([h3.cell_to_latlng(r["h3"]) for r in rows])
    threshold = np.array([r["threshold_m"] for r in rows])
    assert len(rows) == len(problem.demand_population)

    def spopt_side() -> float:
        n, m = len(rows), len(problem.names)
        cost = geodesic_m(np.repeat(centres[:, 1], m), np.repeat(centres[:, 0], m), np.tile(problem.lon, n),
                          np.tile(problem.lat, n)).reshape(n, m) / threshold[:, None]
        model = MCLP.from_cost_matrix(cost, problem.demand_population, service_radius=1.0, p_facilities=k)
        model.solve(pulp.PULP_CBC_CMD(msg=False))
        return float(pulp.value(model.problem.objective))

    theirs, wall_spopt, _ = timed(spopt_side)
    print(f"where-to, {category} in {circuit}, k = {k}: {len(problem.names)} {candidates}, {len(rows):,} cells beyond "
          f"reach ({problem.demand_population.sum():,.0f} people)")
    print(f"  ours: {choice.covered:,.1f} people covered (optimal {choice.optimal}) in {wall_build + wall_solve:.3f} s "
          f"(pairs {wall_build:.3f} s + HiGHS {wall_solve:.3f} s)")
    print(f"  spopt MCLP + CBC: {theirs:,.1f} people covered in {wall_spopt:.3f} s (cost matrix + solve)")
    print(f"  equal covered population: {abs(theirs - choice.covered) < 1e-6 * max(theirs, 1)}")
    conn.rollback()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", default="29")
    parser.add_argument("--category", default="mental-health")
    parser.add_argument("--circuit", default="MO-11")
    parser.add_argument("--k", type=int, default=3)
    args = parser.parse_args()
    us_places()
    gazetteer_places()  # both GeoNames readings are made once per process, outside the timings
    print(f"load average at start: {os.getloadavg()}")
    with connect(Settings()) as conn:
        run_id = state_run(conn, args.state)
        incremental(conn, run_id, args.category)
        circuit = RegionRef("circuit", args.circuit)
        what_if_bench(conn, circuit, args.category)
        for candidates in ("towns", "cells"):
            where_to_bench(conn, circuit, args.category, args.k, candidates)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
