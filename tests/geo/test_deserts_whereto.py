"""Where-to: the k sites covering the most people now beyond reach, exactly — the same covered
population as PySAL spopt's MCLP on the same candidates and demand, and as trying every pair."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest
from spopt.locate import MCLP

from geo.deserts.measures import geodesic_m
from geo.deserts.model import Parameters
from geo.deserts.runs import compute_run
from geo.deserts.whereto import cover_problem, solve, where_to
from geo.errors import BadRequest
from geo.scope import RegionRef
from tests.geo.deserts_data import TEST_CATEGORY, add_category, add_service

BOONE = RegionRef("county", "29019")
COLUMBIA = (-92.334, 38.952)


@pytest.fixture
def boone(conn):
    add_category(conn, urban_m=5000, rural_m=8000)
    add_service(conn, *COLUMBIA, county_fips="29019")
    return compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=Parameters(resolution=7))


def covered_by(problem, chosen) -> float:
    hit = np.isin(problem.pair_candidate, list(chosen))
    return float(problem.demand_population[np.unique(problem.pair_demand[hit])].sum())


def test_the_best_pair_of_towns_is_found_and_each_site_counts_its_people(conn, boone):
    problem, _ = cover_problem(conn, BOONE, TEST_CATEGORY, "towns")
    assert len(problem.names) >= 5 and all(name.endswith(", MO") for name in problem.names)
    best = max(covered_by(problem, pair) for pair in itertools.combinations(range(len(problem.names)), 2))
    answer = where_to(conn, BOONE, TEST_CATEGORY, 2)
    assert answer["newly_within_reach"] == pytest.approx(best, abs=0.2) and answer["optimal"]
    sites = answer["sites"]
    assert len(sites) == 2 and sites[0]["newly_within_reach"] >= sites[1]["newly_within_reach"] > 0
    assert sum(s["newly_within_reach"] for s in sites) == pytest.approx(answer["newly_within_reach"], abs=0.2)
    assert answer["beyond_reach_before"] >= answer["newly_within_reach"]


@pytest.mark.parametrize("candidates", ["towns", "cells"])
def test_the_same_covered_population_as_spopt_mclp(conn, boone, candidates):
    problem, _ = cover_problem(conn, BOONE, TEST_CATEGORY, candidates)
    ours = solve(problem, 3)
    # spopt gets every demand × candidate distance divided by the cell's threshold, radius 1.
    run_cells = conn.execute(
        """SELECT threshold_m FROM desert_cell WHERE run_id = %s AND category = %s AND NOT covered
           AND population > 0 ORDER BY county_fips, h3""", [boone, TEST_CATEGORY]).fetchall()
    threshold = np.array([r["threshold_m"] for r in run_cells])
    assert len(threshold) == len(problem.demand_population)
    lon, lat = _demand_points(conn, boone)
    n, m = len(lon), len(problem.names)
    cost = geodesic_m(np.repeat(lon, m), np.repeat(lat, m), np.tile(problem.lon, n),
                      np.tile(problem.lat, n)).reshape(n, m) / threshold[:, None]
    model = MCLP.from_cost_matrix(cost, problem.demand_population, service_radius=1.0, p_facilities=3)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    chosen = [j for j, v in enumerate(model.fac_vars) if v.value() > 0.5]
    assert ours.covered == pytest.approx(covered_by(problem, chosen), rel=1e-9)
    assert ours.covered == pytest.approx(float(pulp.value(model.problem.objective)), rel=1e-6)


def _demand_points(conn, run_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The uncovered cells' centres, in the order cover_problem reads them."""
    import h3
    rows = conn.execute(
        """SELECT h3 FROM desert_cell WHERE run_id = %s AND category = %s AND NOT covered AND population > 0
           ORDER BY county_fips, h3""", [run_id, TEST_CATEGORY]).fetchall()
    centres = np.array([h3.cell_to_latlng(r["h3"]) for r in rows])
    return centres[:, 1], centres[:, 0]


def test_capacity_limits_what_each_site_brings_in(conn, boone):
    free = where_to(conn, BOONE, TEST_CATEGORY, 2)
    capped = where_to(conn, BOONE, TEST_CATEGORY, 2, capacity=500)
    assert capped["newly_within_reach"] == pytest.approx(1000, abs=1)
    assert capped["newly_within_reach"] < free["newly_within_reach"]
    assert all(s["newly_within_reach"] <= 500 + 1e-6 for s in capped["sites"])
    with pytest.raises(BadRequest):
        where_to(conn, BOONE, TEST_CATEGORY, 0)
    with pytest.raises(BadRequest):
        where_to(conn, BOONE, TEST_CATEGORY, 1, candidates="airports")
