"""Where should the next k services of a category go: the maximal covering location problem.

Demand is the people a stored run leaves beyond reach in the region (each uncovered cell, its
population). Candidates are the region's towns (the gazetteer's places inside its counties) or
cells (the centres of the coarser H3 cells, two resolutions up, holding uncovered people). A
candidate covers a cell when the geodesic from it to the cell's centre is at most the cell's
threshold (urban or rural), decided as the run decides distances: planar in a local projection
where the distortion bound settles it, an exact geodesic otherwise (geo/deserts/measures.py).

The k sites covering the most people are found exactly, as a mixed-integer programme (Church &
ReVelle 1974: maximise Σ w_g y_g with y_g ≤ Σ_{c covers g} x_c, Σ x_c ≤ k), solved with HiGHS
(scipy.optimize.milp), after merging cells covered by the same candidates into one demand row.
With a `capacity`, each site serves at most that many people (people are assigned to sites that
cover them). Each site's people are those it adds in the order of the answer (the largest first).
bench/deserts/whereto.py checks the covered population against PySAL spopt's MCLP.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3.api.basic_int as h3i
import numpy as np
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from geo.db import Connection
from geo.deserts.measures import LocalProjection, geodesic_m
from geo.deserts.runs import data_version, region_counties
from geo.deserts.stored import newest_run, stored_cells, stored_measures
from geo.errors import BadRequest
from geo.gazetteer import us_places
from geo.scope import RegionRef

CANDIDATE_KINDS = ("towns", "cells")
MAX_SITES = 20
MAX_PAIRS = 5_000_000
TIME_LIMIT_S = 20.0


@dataclass
class CoverProblem:
    """Candidates, demand (uncovered people) and which candidate covers which demand cell."""

    names: list[str]
    lon: np.ndarray
    lat: np.ndarray
    demand_population: np.ndarray
    pair_candidate: np.ndarray
    pair_demand: np.ndarray


@dataclass
class Choice:
    """The chosen candidates (in the order of the answer), what each adds, and the total."""

    chosen: list[int]
    people: list[float]
    covered: float
    optimal: bool


def covering_pairs(cand_lon: np.ndarray, cand_lat: np.ndarray, lon: np.ndarray, lat: np.ndarray,
                   threshold_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(candidate, demand) pairs with geodesic distance ≤ the demand point's threshold."""
    empty = np.zeros(0, dtype=np.int64)
    if len(cand_lon) == 0 or len(lon) == 0:
        return empty, empty
    projection = LocalProjection.around(np.concatenate([lon, cand_lon]), np.concatenate([lat, cand_lat]))
    demand, cand = projection.points(lon, lat), projection.points(cand_lon, cand_lat)
    eps = projection.eps
    found = cKDTree(demand.xy).query_ball_point(cand.xy, float(threshold_m.max()) * (1 + eps))
    lengths = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
    if lengths.sum() > MAX_PAIRS:
        raise BadRequest(f"{lengths.sum():,} candidate-cell pairs (at most {MAX_PAIRS:,}): ask for a smaller "
                         "region or candidates=towns")
    if lengths.sum() == 0:
        return empty, empty
    c = np.repeat(np.arange(len(cand_lon), dtype=np.int64), lengths)
    i = np.concatenate([np.asarray(f, dtype=np.int64) for f in found if len(f)])
    planar = np.hypot(demand.xy[i, 0] - cand.xy[c, 0], demand.xy[i, 1] - cand.xy[c, 1])
    limit = threshold_m[i]
    inside = planar * (1 + eps) <= limit
    unsure = ~inside & (planar / (1 + eps) <= limit)
    inside[unsure] = geodesic_m(lon[i[unsure]], lat[i[unsure]], cand_lon[c[unsure]], cand_lat[c[unsure]]) <= limit[unsure]
    return c[inside], i[inside]


def solve(problem: CoverProblem, k: int, capacity: float | None = None,
          time_limit_s: float = TIME_LIMIT_S) -> Choice:
    """The k candidates covering the most demand (at most `capacity` people each, if given)."""
    n_cand = len(problem.names)
    if len(problem.pair_demand) == 0 or k == 0:
        return Choice([], [], 0.0, True)
    # Demand cells covered by the same candidates are one row of the programme.
    order = np.lexsort((problem.pair_candidate, problem.pair_demand))
    pd, pc = problem.pair_demand[order], problem.pair_candidate[order]
    starts = np.flatnonzero(np.r_[True, pd[1:] != pd[:-1]])
    ends = np.r_[starts[1:], len(pd)]
    keys: dict[bytes, int] = {}
    group_of_cell = np.array([keys.setdefault(pc[a:b].tobytes(), len(keys)) for a, b in zip(starts, ends, strict=True)],
                             dtype=np.int64)
    weight = np.bincount(group_of_cell, weights=problem.demand_population[pd[starts]], minlength=len(keys))
    first = np.unique(group_of_cell, return_index=True)[1]  # a cell of each group, in group order
    rows = np.repeat(np.arange(len(keys)), ends[first] - starts[first])
    cols = np.concatenate([pc[starts[f]:ends[f]] for f in first])
    if capacity is None:
        chosen, optimal = _mclp(n_cand, len(keys), rows, cols, weight, k, time_limit_s)
        return _attribute(chosen, rows, cols, weight, optimal)
    served, optimal = _capacitated(n_cand, len(keys), rows, cols, weight, k, capacity, time_limit_s)
    ranked = sorted(served, key=lambda c: (-served[c], c))
    return Choice(ranked, [served[c] for c in ranked], float(sum(served.values())), optimal)


def _mclp(n_cand: int, n_groups: int, rows: np.ndarray, cols: np.ndarray, weight: np.ndarray, k: int,
          time_limit_s: float) -> tuple[list[int], bool]:
    """Variables x (candidates, binary) then y (groups, 0..1): max Σ w y, y_g ≤ Σ x_c, Σ x ≤ k."""
    cover = sparse.csr_matrix((-np.ones(len(rows)), (rows, cols)), shape=(n_groups, n_cand))
    a = sparse.vstack([sparse.hstack([cover, sparse.identity(n_groups)]),
                       sparse.hstack([sparse.csr_matrix(np.ones((1, n_cand))), sparse.csr_matrix((1, n_groups))])])
    ub = np.r_[np.zeros(n_groups), k]
    result = milp(np.r_[np.zeros(n_cand), -weight], integrality=np.r_[np.ones(n_cand), np.zeros(n_groups)],
                  bounds=Bounds(0, 1), constraints=LinearConstraint(a.tocsr(), -np.inf, ub),
                  options={"time_limit": time_limit_s})
    if result.x is None:
        raise BadRequest(f"no solution found in {time_limit_s:.0f} s: ask for a smaller region")
    return [int(c) for c in np.flatnonzero(result.x[:n_cand] > 0.5)], bool(result.status == 0)


def _capacitated(n_cand: int, n_groups: int, rows: np.ndarray, cols: np.ndarray, weight: np.ndarray, k: int,
                 capacity: float, time_limit_s: float) -> tuple[dict[int, float], bool]:
    """Variables x (binary) then z per (group, candidate) pair (people served): max Σ z,
    Σ_c z_gc ≤ w_g, Σ_g z_gc ≤ capacity·x_c, Σ x ≤ k."""
    p = len(rows)
    pair = np.arange(p)
    demand = sparse.csr_matrix((np.ones(p), (rows, n_cand + pair)), shape=(n_groups, n_cand + p))
    supply = sparse.csr_matrix((np.r_[np.ones(p), -capacity * np.ones(n_cand)],
                                (np.r_[cols, np.arange(n_cand)], np.r_[n_cand + pair, np.arange(n_cand)])),
                               shape=(n_cand, n_cand + p))
    count = sparse.csr_matrix((np.ones(n_cand), (np.zeros(n_cand), np.arange(n_cand))), shape=(1, n_cand + p))
    result = milp(np.r_[np.zeros(n_cand), -np.ones(p)], integrality=np.r_[np.ones(n_cand), np.zeros(p)],
                  bounds=Bounds(np.zeros(n_cand + p), np.r_[np.ones(n_cand), np.full(p, np.inf)]),
                  constraints=LinearConstraint(sparse.vstack([demand, supply, count]).tocsr(), -np.inf,
                                               np.r_[weight, np.zeros(n_cand), k]),
                  options={"time_limit": time_limit_s})
    if result.x is None:
        raise BadRequest(f"no solution found in {time_limit_s:.0f} s: ask for a smaller region")
    z = np.bincount(cols, weights=result.x[n_cand:], minlength=n_cand)
    return {int(c): float(z[c]) for c in np.flatnonzero(result.x[:n_cand] > 0.5)}, bool(result.status == 0)


def _attribute(chosen: list[int], rows: np.ndarray, cols: np.ndarray, weight: np.ndarray,
               optimal: bool) -> Choice:
    """Order the chosen sites by what each adds (largest first) and count those people."""
    left = weight.copy()
    order: list[int] = []
    people: list[float] = []
    remaining = set(chosen)
    while remaining:
        gains = {c: float(left[rows[cols == c]].sum()) for c in remaining}
        best = max(sorted(remaining), key=lambda c: gains[c])
        left[rows[cols == best]] = 0.0
        order.append(best)
        people.append(gains[best])
        remaining.discard(best)
    return Choice(order, people, float(sum(people)), optimal)


def cover_problem(conn: Connection, region: RegionRef, category: str, candidates: str = "towns",
                  stage: str | None = None) -> tuple[CoverProblem, dict]:
    """The problem for a region from its newest servable run, and that run."""
    if candidates not in CANDIDATE_KINDS:
        raise BadRequest(f"candidates {candidates!r}: use one of {', '.join(CANDIDATE_KINDS)}")
    run, counties = newest_run(conn, region, category, stage)
    cells = stored_cells(conn, run["surface_id"], counties)
    m = stored_measures(conn, run["id"], category, stage, cells)
    threshold = m.threshold(cells.urban)
    beyond = np.flatnonzero((m.distance_m > threshold) & (cells.population > 0))
    lon, lat, people = cells.lon[beyond], cells.lat[beyond], cells.population[beyond]
    if candidates == "towns":
        shape = shapely.union_all([c.geom for c in region_counties(conn, region)])
        places = [p for p in us_places()
                  if shapely.contains_xy(shape, p.point.longitude, p.point.latitude)]
        names = [f"{p.name}, {p.state}" for p in places]
        cand_lon = np.array([p.point.longitude for p in places], dtype=float)
        cand_lat = np.array([p.point.latitude for p in places], dtype=float)
    else:
        coarse = max(cells.resolution - 2, 0)
        parents = sorted({h3i.cell_to_parent(int(c), coarse) for c in cells.h3[beyond]})
        names = [h3i.int_to_str(p) for p in parents]
        centres = np.array([h3i.cell_to_latlng(p) for p in parents], dtype=float).reshape(-1, 2)
        cand_lat, cand_lon = centres[:, 0], centres[:, 1]
    pc, pd = covering_pairs(cand_lon, cand_lat, lon, lat, threshold[beyond])
    run = {**run, "stale": run["data_version"] != data_version(conn)}
    return CoverProblem(names, cand_lon, cand_lat, people, pc, pd), run


def where_to(conn: Connection, region: RegionRef, category: str, k: int, *, candidates: str = "towns",
             stage: str | None = None, capacity: float | None = None) -> dict:
    """The k sites for `category` in `region` bringing the most people beyond reach within reach."""
    if not 1 <= k <= MAX_SITES:
        raise BadRequest(f"k = {k}: ask for 1 to {MAX_SITES} sites")
    problem, run = cover_problem(conn, region, category, candidates, stage)
    choice = solve(problem, k, capacity)
    beyond = float(problem.demand_population.sum())
    return {
        "run": {"id": run["id"], "region": f"{run['region_kind']}:{run['region_code']}",
                "resolution": run["resolution"], "finished_at": run["finished_at"].isoformat(),
                "stale": run["stale"]},
        "candidates": candidates, "candidates_considered": len(problem.names), "capacity": capacity,
        "beyond_reach_before": round(beyond, 1), "newly_within_reach": round(choice.covered, 1),
        "optimal": choice.optimal,
        "sites": [{"name": problem.names[c], "lon": round(float(problem.lon[c]), 5),
                   "lat": round(float(problem.lat[c]), 5), "newly_within_reach": round(p, 1)}
                  for c, p in zip(choice.chosen, choice.people, strict=True)],
    }
