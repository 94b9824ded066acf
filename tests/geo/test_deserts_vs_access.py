"""Our 2SFCA and E2SFCA agree with PySAL's `access` package (the reference) to 1e-9 on the same inputs.

`access` needs the full cost matrix, so the test builds it (every demand × supply geodesic); ours
finds the same catchment pairs with the KD-tree. Same weight functions, same max cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from access import Access, weights

from geo.deserts.measures import Decay, LocalProjection, catchment_pairs, geodesic_m, two_step_fca

CATCHMENT_M = 30_000.0


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(20261123)
    n_d, n_s = 400, 30
    d_lon, d_lat = rng.uniform(-94.6, -92.0, n_d), rng.uniform(37.0, 39.2, n_d)
    s_lon, s_lat = rng.uniform(-94.6, -92.0, n_s), rng.uniform(37.0, 39.2, n_s)
    pop = rng.integers(50, 8000, n_d).astype(float)
    cap = rng.integers(5, 300, n_s).astype(float)
    d_ids = [f"d{i}" for i in range(n_d)]
    s_ids = [f"s{j}" for j in range(n_s)]
    cost = pd.DataFrame({
        "origin": np.repeat(d_ids, n_s), "dest": np.tile(s_ids, n_d),
        "cost": geodesic_m(np.repeat(d_lon, n_s), np.repeat(d_lat, n_s), np.tile(s_lon, n_d), np.tile(s_lat, n_d)),
    })
    reference = Access(
        demand_df=pd.DataFrame({"geoid": d_ids, "pop": pop}), demand_index="geoid", demand_value="pop",
        supply_df=pd.DataFrame({"geoid": s_ids, "cap": cap}), supply_index="geoid", supply_value="cap",
        cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost",
    )
    projection = LocalProjection.around(np.concatenate([d_lon, s_lon]), np.concatenate([d_lat, s_lat]))
    ours = (projection.points(d_lon, d_lat), projection.points(s_lon, s_lat), projection.eps)
    return reference, ours, pop, cap, d_ids


def compare(ours: np.ndarray, reference: pd.Series, d_ids: list[str]) -> None:
    ref = reference.reindex(d_ids).to_numpy()
    reached = ~np.isnan(ref)
    assert 50 < reached.sum() < len(d_ids)  # a real mix of reached and unreached cells
    np.testing.assert_allclose(ours[reached], ref[reached], rtol=1e-9, atol=1e-12)
    assert not ours[~reached].any()  # access leaves unreached cells undefined; ours says 0


def test_2sfca_matches_access_two_stage_fca(inputs):
    reference, (demand, supply, eps), pop, cap, d_ids = inputs
    expected = reference.two_stage_fca(name="2sfca", max_cost=CATCHMENT_M)["2sfca_cap"]
    pairs = catchment_pairs(demand, supply, CATCHMENT_M, Decay(), eps)
    compare(two_step_fca(pop, cap, pairs.demand, pairs.supply, pairs.w_2sfca), expected, d_ids)


def test_stepwise_e2sfca_matches_access_enhanced_two_stage_fca(inputs):
    reference, (demand, supply, eps), pop, cap, d_ids = inputs
    c = CATCHMENT_M
    step = weights.step_fn({c / 3: 1.0, 2 * c / 3: 0.68, c: 0.22})
    expected = reference.enhanced_two_stage_fca(name="e2sfca", max_cost=c, weight_fn=step)["e2sfca_cap"]
    pairs = catchment_pairs(demand, supply, c, Decay(), eps)
    compare(two_step_fca(pop, cap, pairs.demand, pairs.supply, pairs.w_e2sfca), expected, d_ids)


def test_gaussian_e2sfca_matches_access_with_its_gaussian_weight(inputs):
    reference, (demand, supply, eps), pop, cap, d_ids = inputs
    decay = Decay(kind="gaussian")
    gaussian = weights.gaussian(CATCHMENT_M * decay.sigma_fraction)
    expected = reference.enhanced_two_stage_fca(name="gauss", max_cost=CATCHMENT_M, weight_fn=gaussian)["gauss_cap"]
    pairs = catchment_pairs(demand, supply, CATCHMENT_M, decay, eps)
    compare(two_step_fca(pop, cap, pairs.demand, pairs.supply, pairs.w_e2sfca), expected, d_ids)
