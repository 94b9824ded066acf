"""Distance and capacity measures between demand points (H3 cells) and service points, vectorised.

Distances are metres on the WGS84 ellipsoid (pyproj `Geod`, Karney's geodesic). A KD-tree on a local
Lambert azimuthal equal-area projection (centred on the data) only finds *candidate* pairs: its
planar distances differ from geodesic ones by at most a factor `1 ± eps`, where `eps` is bounded
from the projection's scale distortion over the data's extent, so every decision — which service is
nearest, whether a pair lies inside a catchment or a decay zone — is settled by planar distances
when the margin is wide enough and by the exact geodesic otherwise. The result equals using
geodesic distances everywhere; nothing ever builds the full demand × supply cross product.

2SFCA (Luo & Wang 2003) and enhanced 2SFCA (Luo & Qi 2009), as in PySAL `access`:

    W_j = Σ_i P_i · w(d_ij)        over demand i with d_ij ≤ catchment   (demand reaching service j)
    R_j = S_j / W_j                                                    (capacity per person)
    A_i = Σ_j R_j · w(d_ij)        over services j with d_ij ≤ catchment

2SFCA uses w = 1; E2SFCA uses a distance-decay weight: stepwise by default (Luo & Qi's zones at
thirds of the catchment with weights 1, 0.68, 0.22, the defaults of `access`), or Gaussian
exp(-d² / 2σ²) with σ = catchment / 3. A service no demand reaches has R_j = 0 (access leaves it
undefined); a cell no service reaches has A_i = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

GEOD = Geod(ellps="WGS84")
# Luo & Qi (2009) three travel zones and weights, as in access.weights.step_fn's documented default.
STEP_ZONES = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))
EARTH_RADIUS_M = 6_371_008.8
# The authalic sphere of LAEA on WGS84 and Karney's ellipsoidal geodesic differ by well under 1%;
# added to the projection's own distortion bound so candidate searches never miss a pair.
ELLIPSOID_MARGIN = 0.01
NEAREST_CANDIDATES = 8


def geodesic_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Metres on the WGS84 ellipsoid between paired points (vectorised Karney geodesics)."""
    if len(lon1) == 0:
        return np.zeros(0)
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist, dtype=float)


@dataclass(frozen=True)
class Decay:
    """Distance-decay weights for E2SFCA: 'step' (zones as fractions of the catchment) or 'gaussian'."""

    kind: str = "step"
    zones: tuple[tuple[float, float], ...] = STEP_ZONES
    sigma_fraction: float = 1 / 3

    def bounds_m(self, catchment_m: float) -> np.ndarray:
        """The zones' upper bounds in metres for this catchment."""
        return np.array([catchment_m * fraction for fraction, _ in self.zones])

    def weights(self, distance_m: np.ndarray, catchment_m: float) -> np.ndarray:
        """The weight of each distance (0 beyond the catchment), matching access.weights exactly."""
        if self.kind == "gaussian":
            sigma = catchment_m * self.sigma_fraction
            return np.where(distance_m <= catchment_m, np.exp(-distance_m * distance_m / (2 * sigma**2)), 0.0)
        if self.kind != "step":
            raise ValueError(f"unknown decay {self.kind!r}: use 'step' or 'gaussian'")
        values = np.array([w for _, w in self.zones] + [0.0])
        # access.step_fn: the first zone whose upper bound is >= d (bounds inclusive).
        return values[np.searchsorted(self.bounds_m(catchment_m), distance_m, side="left")]

    def as_dict(self) -> dict:
        """As stored in a run's parameters."""
        if self.kind == "gaussian":
            return {"kind": "gaussian", "sigma": f"{self.sigma_fraction:.6g} × catchment"}
        return {"kind": "step", "zones": [[round(f, 6), w] for f, w in self.zones]}


@dataclass
class PointSet:
    """Points in lon/lat (degrees) with their local-projection coordinates (metres)."""

    lon: np.ndarray
    lat: np.ndarray
    xy: np.ndarray
    _tree: cKDTree | None = field(default=None, repr=False)

    @property
    def tree(self) -> cKDTree:
        """Built on first use and kept: the demand tree serves every category of a run."""
        if self._tree is None:
            self._tree = cKDTree(self.xy, balanced_tree=False, compact_nodes=False)
        return self._tree

    def __len__(self) -> int:
        return len(self.lon)


@dataclass(frozen=True)
class LocalProjection:
    """A Lambert azimuthal equal-area projection centred on the data, with its distortion bound."""

    lon0: float
    lat0: float
    eps: float
    transformer: Transformer

    @classmethod
    def around(cls, lon: np.ndarray, lat: np.ndarray) -> LocalProjection:
        """Centred on the bounding box of the points; `eps` bounds |planar/geodesic − 1| inside it."""
        # The centre is rounded to 0.1° so a region's projection is made once and then reused.
        lon0 = round(float((np.min(lon) + np.max(lon)) / 2), 1)
        lat0 = round(float((np.min(lat) + np.max(lat)) / 2), 1)
        corners_lon = np.array([np.min(lon), np.min(lon), np.max(lon), np.max(lon)])
        corners_lat = np.array([np.min(lat), np.max(lat), np.min(lat), np.max(lat)])
        reach = float(np.max(geodesic_m(np.full(4, lon0), np.full(4, lat0), corners_lon, corners_lat)))
        # LAEA's scale factors are cos(c/2) and 1/cos(c/2) at angular distance c from the centre.
        c = min(reach / EARTH_RADIUS_M, 2.0)
        eps = 1 / math.cos(c / 2) - 1 + ELLIPSOID_MARGIN
        return cls(lon0, lat0, eps, _laea(lon0, lat0))

    def points(self, lon: np.ndarray, lat: np.ndarray) -> PointSet:
        """Project lon/lat points (degrees) to metres in this projection."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        x, y = self.transformer.transform(lon, lat)
        return PointSet(lon, lat, np.column_stack([x, y]) if len(lon) else np.zeros((0, 2)))


@lru_cache(maxsize=64)
def _laea(lon0: float, lat0: float) -> Transformer:
    """One transformer per centre: making one costs more than projecting a tract-sized input."""
    crs = f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def nearest_m(demand: PointSet, supply: PointSet, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic metres from each demand point to its nearest supply point, and that point's index.

    The KD-tree proposes the two planar-nearest; a demand point whose runner-up is not clearly
    farther (beyond the distortion bound) gets geodesics to its NEAREST_CANDIDATES planar-nearest,
    and one whose last candidate is still within the bound gets a radius search. No supply: inf, -1.
    """
    n = len(demand)
    if len(supply) == 0 or n == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    k = min(2, len(supply))
    planar, index = supply.tree.query(demand.xy, k=k)
    if k == 1:
        planar, index = planar[:, None], index[:, None]
    best_index = index[:, 0].astype(np.int64)
    best = geodesic_m(demand.lon, demand.lat, supply.lon[best_index], supply.lat[best_index])
    if k == 1:
        return best, best_index
    unsure = np.flatnonzero(planar[:, 1] / (1 + eps) < best)
    if len(unsure) == 0:
        return best, best_index
    k = min(NEAREST_CANDIDATES, len(supply))
    planar, index = supply.tree.query(demand.xy[unsure], k=k)
    rows = np.repeat(unsure, k)
    d = geodesic_m(demand.lon[rows], demand.lat[rows], supply.lon[index.ravel()], supply.lat[index.ravel()])
    d = d.reshape(len(unsure), k)
    pick = np.argmin(d, axis=1)
    best[unsure] = d[np.arange(len(unsure)), pick]
    best_index[unsure] = index[np.arange(len(unsure)), pick]
    if len(supply) > k:
        # Candidates beyond the k-th planar neighbour could still be nearer: search those rare cells.
        for row in np.flatnonzero(planar[:, -1] / (1 + eps) < best[unsure]):
            i = unsure[row]
            near = np.asarray(supply.tree.query_ball_point(demand.xy[i], best[i] * (1 + eps)), dtype=np.int64)
            d_near = geodesic_m(np.full(len(near), demand.lon[i]), np.full(len(near), demand.lat[i]),
                                supply.lon[near], supply.lat[near])
            j = int(np.argmin(d_near))
            if d_near[j] < best[i]:
                best[i], best_index[i] = d_near[j], near[j]
    return best, best_index


@dataclass(frozen=True)
class Pairs:
    """Demand/supply pairs inside the catchment, with their 2SFCA and E2SFCA weights."""

    demand: np.ndarray
    supply: np.ndarray
    w_2sfca: np.ndarray
    w_e2sfca: np.ndarray


def catchment_pairs(
    demand: PointSet, supply: PointSet, catchment_m: float, decay: Decay, eps: float
) -> Pairs:
    """Every (demand, supply) pair within `catchment_m` on the ellipsoid, found with the KD-tree.

    Geodesics are computed only where the planar distance cannot settle a pair's zone: near the
    catchment edge and, for stepwise decay, near each zone bound (all pairs for Gaussian decay).
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(demand) == 0 or len(supply) == 0:
        return Pairs(empty, empty, np.zeros(0), np.zeros(0))
    found = demand.tree.query_ball_point(supply.xy, catchment_m * (1 + eps), return_sorted=False)
    lengths = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
    if lengths.sum() == 0:
        return Pairs(empty, empty, np.zeros(0), np.zeros(0))
    j = np.repeat(np.arange(len(supply), dtype=np.int64), lengths)
    i = np.concatenate([np.asarray(f, dtype=np.int64) for f in found if len(f)])
    planar = np.hypot(demand.xy[i, 0] - supply.xy[j, 0], demand.xy[i, 1] - supply.xy[j, 1])
    if decay.kind == "gaussian":
        exact = np.ones(len(i), dtype=bool)
    else:
        bounds = np.sort(np.append(decay.bounds_m(catchment_m), catchment_m))
        # The geodesic lies in [planar/(1+eps), planar*(1+eps)]: ambiguous if a bound falls inside.
        lo = np.searchsorted(bounds, planar / (1 + eps), side="left")
        hi = np.searchsorted(bounds, planar * (1 + eps), side="right")
        exact = lo != hi
    distance = planar.copy()
    distance[exact] = geodesic_m(demand.lon[i[exact]], demand.lat[i[exact]],
                                 supply.lon[j[exact]], supply.lat[j[exact]])
    inside = distance <= catchment_m
    i, j, distance = i[inside], j[inside], distance[inside]
    w_e2sfca = decay.weights(distance, catchment_m)
    return Pairs(i, j, np.ones(len(i)), w_e2sfca)


def two_step_fca(
    population: np.ndarray, capacity: np.ndarray, demand: np.ndarray, supply: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """A_i = Σ_j w_ij · S_j / Σ_k P_k w_kj over catchment pairs; services nobody reaches give 0."""
    reached = np.bincount(supply, weights=population[demand] * weight, minlength=len(capacity))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reached > 0, capacity / np.where(reached > 0, reached, 1.0), 0.0)
    return np.bincount(demand, weights=ratio[supply] * weight, minlength=len(population))
