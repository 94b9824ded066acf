"""Benchmark the desert measures: Missouri at H3 resolution 8 for one category, and tract-sized
inputs against PySAL `access`, side by side in one run.

    ATLAS_PG_PORT=<port> .venv/bin/python bench/deserts/run.py [--category mental-health] [--repeat 3]

Reads the counties and (sample) services from the database `atlas setup` made; writes nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely
from access import Access, weights

from geo.db import connect
from geo.deserts.measures import Decay, LocalProjection, catchment_pairs, geodesic_m, two_step_fca
from geo.deserts.model import Parameters, measure_cells
from geo.deserts.runs import (
    category_thresholds,
    compute_run,
    load_service_points,
    region_counties,
)
from geo.deserts.surface import build_surface, places_in_bounds, us_places
from geo.scope import RegionRef
from geo.settings import Settings

MISSOURI = RegionRef("state", "29")
TRACTS = 1400  # Missouri has 1,393 census tracts (2010)


CPU: dict[str, float] = {}


def timed(fn: Callable, repeat: int, label: str = "") -> tuple[float, float, object]:
    """(best, median) wall seconds over `repeat` runs, and the last result; the best CPU seconds
    (this process only: robust when other work shares the cores) go to CPU[label]."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[label] = min(cpu)
    return min(times), statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--category", default="mental-health")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", action="store_true", help="also time compute_run (all stages, storing cells; rolled back)")
    args = parser.parse_args()
    params = Parameters(resolution=8)
    rows: list[tuple[str, str, float, float]] = []

    us_places()  # GeoNames is parsed once per process, outside the timings; everything below reuses it
    with connect(Settings()) as conn:
        t0 = time.perf_counter()
        counties = region_counties(conn, MISSOURI)
        limits = category_thresholds(conn, [args.category])[args.category]
        services = load_service_points(conn, counties, [args.category], params)[args.category]
        rows.append(("load counties + services (DB)", "", time.perf_counter() - t0, 0))

        bounds = shapely.union_all([c.geom.envelope for c in counties]).bounds

        def surface():
            s = build_surface(counties, places_in_bounds(bounds), params.resolution)
            return s, s.urban(params.urban_density_per_km2)

        best, med, (grid, urban) = timed(surface, args.repeat, "surface")
        rows.append((f"demand surface: {len(grid):,} cells + urban rule", "", best, med))

        def footprint_surface():
            s = build_surface(counties, places_in_bounds(bounds), params.resolution, place_spread="footprint")
            return s, s.urban(params.urban_density_per_km2)

        best_f, med_f, _ = timed(footprint_surface, args.repeat, "footprint")
        rows.append(("the same surface with `place_spread=footprint` (not in the total)", "", best_f, med_f))

        def measures():
            projection = LocalProjection.around(np.concatenate([grid.lon, services.lon]),
                                                np.concatenate([grid.lat, services.lat]))
            demand = projection.points(grid.lon, grid.lat)
            supply = projection.points(services.lon, services.lat)
            return measure_cells(demand, grid.population, urban, supply, services.capacity, limits,
                                 params.decay, projection.eps)

        best_m, med_m, m = timed(measures, args.repeat, "measures")
        rows.append((f"measures, {args.category}: distance, threshold, 2SFCA, E2SFCA ({len(services.lon)} services)",
                     "", best_m, med_m))
        rows.append(("**Missouri, res 8, one category (surface + measures)**", "≤ 2 s", best + best_m, med + med_m))
        print(f"covered share: {grid.population[m.covered].sum() / grid.population.sum():.3f}")

        if args.store:
            start = time.perf_counter()
            compute_run(conn, MISSOURI, categories=[args.category], params=params)
            rows.append(("compute_run: + 6 stage passes, rollups, storing cells (COPY)", "", time.perf_counter() - start, 0))
            conn.rollback()

    # Tract-sized inputs: ~1,400 demand points drawn where Missourians live, the category's services.
    rng = np.random.default_rng(1393)
    weight = grid.population / grid.population.sum()
    pick = rng.choice(len(grid), size=TRACTS, replace=False, p=0.5 * weight + 0.5 / len(grid))
    d_lon, d_lat = grid.lon[pick], grid.lat[pick]
    pop = rng.integers(1500, 8000, TRACTS).astype(float)
    s_lon, s_lat, cap = services.lon, services.lat, services.capacity
    c = limits.rural_m
    step = weights.step_fn({c / 3: 1.0, 2 * c / 3: 0.68, c: 0.22})
    d_ids, s_ids = [f"t{i}" for i in range(TRACTS)], [f"s{j}" for j in range(len(s_lon))]

    def ours():
        projection = LocalProjection.around(np.concatenate([d_lon, s_lon]), np.concatenate([d_lat, s_lat]))
        demand, supply = projection.points(d_lon, d_lat), projection.points(s_lon, s_lat)
        pairs = catchment_pairs(demand, supply, c, Decay(), projection.eps)
        return (two_step_fca(pop, cap, pairs.demand, pairs.supply, pairs.w_2sfca),
                two_step_fca(pop, cap, pairs.demand, pairs.supply, pairs.w_e2sfca))

    def pysal():
        n_d, n_s = len(d_lon), len(s_lon)
        cost = pd.DataFrame({  # access needs every demand × supply cost (same geodesics as ours)
            "origin": np.repeat(d_ids, n_s), "dest": np.tile(s_ids, n_d),
            "cost": geodesic_m(np.repeat(d_lon, n_s), np.repeat(d_lat, n_s), np.tile(s_lon, n_d), np.tile(s_lat, n_d)),
        })
        a = Access(demand_df=pd.DataFrame({"geoid": d_ids, "pop": pop}), demand_index="geoid", demand_value="pop",
                   supply_df=pd.DataFrame({"geoid": s_ids, "cap": cap}), supply_index="geoid", supply_value="cap",
                   cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
        two = a.two_stage_fca(name="2sfca", max_cost=c)["2sfca_cap"]
        enhanced = a.enhanced_two_stage_fca(name="e2sfca", max_cost=c, weight_fn=step)["e2sfca_cap"]
        return two.reindex(d_ids).fillna(0).to_numpy(), enhanced.reindex(d_ids).fillna(0).to_numpy()

    best_o, med_o, (o2, oe) = timed(ours, max(args.repeat, 5), "ours")
    best_p, med_p, (p2, pe) = timed(pysal, args.repeat, "access")
    diff = max(float(np.max(np.abs(o2 - p2))), float(np.max(np.abs(oe - pe))))
    rows.append((f"tract-sized 2SFCA + E2SFCA, ours ({TRACTS} × {len(s_lon)})", "", best_o, med_o))
    rows.append((f"tract-sized 2SFCA + E2SFCA, PySAL access {__import__('access').__version__}", "", best_p, med_p))
    rows.append((f"**speed-up vs access** (max |difference| {diff:.1e})", "≥ 20×", best_p / best_o, med_p / med_o))

    print(f"CPU seconds (best): Missouri surface + measures {CPU['surface'] + CPU['measures']:.3f}; "
          f"tract-sized ours {CPU['ours']:.4f}, access {CPU['access']:.3f} ({CPU['access'] / CPU['ours']:.0f}×)")
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| step | target | best | median |\n| --- | --- | --- | --- |")
    for name, target, b, mdn in rows:
        unit = "×" if "speed-up" in name else " s"
        print(f"| {name} | {target} | {b:.3f}{unit} | {mdn:.3f}{unit} |" if mdn else f"| {name} | {target} | {b:.3f}{unit} | |")


if __name__ == "__main__":
    main()
