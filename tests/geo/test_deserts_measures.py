"""Desert measures on cases small enough to work out by hand.

Towns and services sit on the equator, where the geodesic between two points is the equator itself:
its length is a·Δλ (a = 6,378,137 m, WGS84), i.e. 111,319.4908 m per degree of longitude.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.deserts.measures import (
    Decay,
    LocalProjection,
    catchment_pairs,
    geodesic_m,
    nearest_m,
    two_step_fca,
)
from geo.deserts.model import Thresholds, measure_cells

M_PER_DEGREE = 6_378_137 * math.pi / 180  # 111,319.4908 m
TOWN_LON = np.array([0.1, 0.3])  # town A, town B
TOWN_POP = np.array([1000.0, 3000.0])
CATCHMENT_M = 40_000.0


def points(lon: np.ndarray, everything: np.ndarray):
    projection = LocalProjection.around(everything, np.zeros(len(everything)))
    return projection.points(lon, np.zeros(len(lon))), projection.eps


def towns_and(service_lon: list[float]):
    lon = np.array(service_lon)
    everything = np.concatenate([TOWN_LON, lon])
    towns, eps = points(TOWN_LON, everything)
    services, _ = points(lon, everything)
    return towns, services, eps


def test_distance_to_the_one_service_is_the_equatorial_arc():
    towns, service, eps = towns_and([0.0])
    distance, index = nearest_m(towns, service, eps)
    assert distance == pytest.approx([0.1 * M_PER_DEGREE, 0.3 * M_PER_DEGREE], abs=1e-3)  # 11,131.9 / 33,395.8 m
    assert list(index) == [0, 0]


def test_nearest_of_two_services_is_the_one_closer_on_the_ellipsoid():
    towns, services, eps = towns_and([0.0, 0.5])
    distance, index = nearest_m(towns, services, eps)
    assert list(index) == [0, 1]  # B: 0.2° to the second service beats 0.3° to the first
    assert distance == pytest.approx([0.1 * M_PER_DEGREE, 0.2 * M_PER_DEGREE], abs=1e-3)


def test_two_towns_one_service_share_its_capacity_by_2sfca_and_by_distance_zone_in_e2sfca():
    towns, service, eps = towns_and([0.0])
    pairs = catchment_pairs(towns, service, CATCHMENT_M, Decay(), eps)
    a2 = two_step_fca(TOWN_POP, np.array([100.0]), pairs.demand, pairs.supply, pairs.w_2sfca)
    ae = two_step_fca(TOWN_POP, np.array([100.0]), pairs.demand, pairs.supply, pairs.w_e2sfca)
    # Both towns are within 40 km: 100 places for 4,000 people.
    assert a2 == pytest.approx([0.025, 0.025], rel=1e-12)
    # Zones at 13.3 / 26.7 / 40 km: A (11.1 km) weighs 1, B (33.4 km) 0.22; R = 100 / (1000 + 660).
    r = 100 / (1000 * 1 + 3000 * 0.22)
    assert ae == pytest.approx([r, 0.22 * r], rel=1e-12)


def test_a_second_service_reaches_only_the_town_within_its_catchment():
    towns, services, eps = towns_and([0.0, 0.5])  # capacities 100 and 50
    capacity = np.array([100.0, 50.0])
    pairs = catchment_pairs(towns, services, CATCHMENT_M, Decay(), eps)
    assert sorted(zip(pairs.demand.tolist(), pairs.supply.tolist(), strict=True)) == [(0, 0), (1, 0), (1, 1)]
    a2 = two_step_fca(TOWN_POP, capacity, pairs.demand, pairs.supply, pairs.w_2sfca)
    assert a2 == pytest.approx([100 / 4000, 100 / 4000 + 50 / 3000], rel=1e-12)
    ae = two_step_fca(TOWN_POP, capacity, pairs.demand, pairs.supply, pairs.w_e2sfca)
    r1, r2 = 100 / (1000 + 0.22 * 3000), 50 / (0.68 * 3000)  # B is 22.3 km from the second: weight 0.68
    assert ae == pytest.approx([r1, 0.22 * r1 + 0.68 * r2], rel=1e-12)


def test_gaussian_decay_weighs_each_pair_by_its_distance():
    towns, service, eps = towns_and([0.0])
    pairs = catchment_pairs(towns, service, CATCHMENT_M, Decay(kind="gaussian"), eps)
    sigma = CATCHMENT_M / 3
    d = np.array([0.1, 0.3]) * M_PER_DEGREE
    assert pairs.w_e2sfca[np.argsort(pairs.demand)] == pytest.approx(np.exp(-d * d / (2 * sigma**2)), rel=1e-9)


def test_a_town_beyond_the_catchment_gets_no_access_and_an_unreached_service_no_ratio():
    towns, service, eps = towns_and([1.0])  # 0.7° = 77.9 km from B
    pairs = catchment_pairs(towns, service, CATCHMENT_M, Decay(), eps)
    assert len(pairs.demand) == 0
    assert list(two_step_fca(TOWN_POP, np.array([10.0]), pairs.demand, pairs.supply, pairs.w_2sfca)) == [0, 0]


def test_urban_cells_use_the_urban_threshold_and_rural_cells_the_rural_one():
    towns, service, eps = towns_and([0.0])
    limits = Thresholds(urban_m=16_000, rural_m=CATCHMENT_M)
    rural = measure_cells(towns, TOWN_POP, np.array([False, False]), service, np.array([100.0]), limits,
                          Decay(), eps)
    assert list(rural.threshold_m) == [40_000, 40_000]
    assert list(rural.covered) == [True, True]  # 11.1 and 33.4 km are within 40 km
    urban = measure_cells(towns, TOWN_POP, np.array([True, True]), service, np.array([100.0]), limits,
                          Decay(), eps)
    assert list(urban.threshold_m) == [16_000, 16_000]
    assert list(urban.covered) == [True, False]  # town B, 33.4 km away, is beyond 16 km once urban
    assert list(urban.access_2sfca) == list(rural.access_2sfca)  # access does not depend on the label


def test_no_service_at_all_leaves_every_cell_uncovered_at_infinite_distance():
    towns, _, eps = towns_and([0.0])
    none, _ = points(np.zeros(0), TOWN_LON)
    m = measure_cells(towns, TOWN_POP, np.array([False, True]), none, np.zeros(0),
                      Thresholds(1000, 5000), Decay(), eps)
    assert np.isinf(m.distance_m).all() and not m.covered.any() and not m.access_2sfca.any()


def test_kd_tree_candidates_give_the_same_pairs_and_nearest_as_brute_force_geodesics():
    rng = np.random.default_rng(3)
    d_lon, d_lat = rng.uniform(-95.7, -89.1, 3000), rng.uniform(36.0, 40.6, 3000)
    s_lon, s_lat = rng.uniform(-95.7, -89.1, 40), rng.uniform(36.0, 40.6, 40)
    projection = LocalProjection.around(np.concatenate([d_lon, s_lon]), np.concatenate([d_lat, s_lat]))
    demand, supply = projection.points(d_lon, d_lat), projection.points(s_lon, s_lat)
    brute = geodesic_m(np.repeat(d_lon, 40), np.repeat(d_lat, 40), np.tile(s_lon, 3000),
                       np.tile(s_lat, 3000)).reshape(3000, 40)
    distance, index = nearest_m(demand, supply, projection.eps)
    assert np.array_equal(index, brute.argmin(axis=1))
    assert distance == pytest.approx(brute.min(axis=1), abs=1e-6)
    pairs = catchment_pairs(demand, supply, 48_280, Decay(), projection.eps)
    expected = set(zip(*np.nonzero(brute <= 48_280), strict=True))
    assert set(zip(pairs.demand.tolist(), pairs.supply.tolist(), strict=True)) == expected
    zone = Decay().weights(brute[pairs.demand, pairs.supply], 48_280)
    assert np.array_equal(pairs.w_e2sfca, zone)
