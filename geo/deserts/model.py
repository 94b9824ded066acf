"""Desert measures for one category over a demand surface: pure numpy, no database.

Per cell: geodesic metres to the nearest service, the threshold that applies (the category's urban
or rural distance, by the cell's density), whether the cell is covered (distance ≤ threshold), and
the 2SFCA / E2SFCA access ratios with each service's capacity, within a catchment equal to the
category's rural threshold (the farthest a family is expected to travel for it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from geo.deserts.measures import Decay, PointSet, catchment_pairs, nearest_m, two_step_fca
from geo.deserts.surface import DEFAULT_RESOLUTION, PLACE_SPREADS, URBAN_DENSITY_PER_KM2
from geo.errors import BadRequest


@dataclass(frozen=True)
class Parameters:
    """Everything a run's numbers depend on besides the data; stored with the run."""

    resolution: int = DEFAULT_RESOLUTION
    decay: Decay = field(default_factory=Decay)
    urban_density_per_km2: float = URBAN_DENSITY_PER_KM2
    # Confidential sites enter the measures from a point hiding them among at least this many
    # residents, or at their county's point if that is smaller (geo/deserts/privacy.py).
    confidential_min_residents: float = 10_000.0
    # Services are searched this far beyond the region; a cell farther from every service has no
    # distance (NULL) and counts as uncovered.
    search_margin_m: float = 200_000.0
    # Where a populated place's people go: "cell" (the cell at its point, the documented default)
    # or "footprint" (evenly over the circle it fills at urban density; geo/deserts/surface.py).
    place_spread: str = "cell"

    def __post_init__(self) -> None:
        if self.place_spread not in PLACE_SPREADS:
            raise BadRequest(f"place_spread {self.place_spread!r}: use one of {', '.join(PLACE_SPREADS)}")

    def as_json(self) -> dict:
        """The parameters as stored with a run, with the rules spelled out for a reader."""
        out = asdict(self)
        out["decay"] = self.decay.as_dict()
        out["catchment"] = "rural_threshold_m of the category"
        out["urban_rule"] = "cell population density >= urban_density_per_km2 (1,000 per sq mi)"
        out["distance"] = "geodesic metres on WGS84 (pyproj Geod)"
        return out


@dataclass(frozen=True)
class Thresholds:
    """How far is too far for a category, in metres: urban and rural cells."""

    urban_m: float
    rural_m: float


@dataclass
class CellMeasures:
    """One category's measures, one value per cell of the surface."""

    distance_m: np.ndarray  # inf where no service was found within the search margin
    threshold_m: np.ndarray
    covered: np.ndarray
    access_2sfca: np.ndarray
    access_e2sfca: np.ndarray


def measure_cells(
    demand: PointSet, population: np.ndarray, urban: np.ndarray, supply: PointSet,
    capacity: np.ndarray, thresholds: Thresholds, decay: Decay, eps: float,
) -> CellMeasures:
    """All per-cell measures for one category (and stage) of services."""
    distance, _ = nearest_m(demand, supply, eps)
    threshold = np.where(urban, thresholds.urban_m, thresholds.rural_m)
    pairs = catchment_pairs(demand, supply, thresholds.rural_m, decay, eps)
    a2 = two_step_fca(population, capacity, pairs.demand, pairs.supply, pairs.w_2sfca)
    ae = two_step_fca(population, capacity, pairs.demand, pairs.supply, pairs.w_e2sfca)
    return CellMeasures(distance, threshold, distance <= threshold, a2, ae)


def location_capacity(capacity: list[int | None], locations: list[int]) -> np.ndarray:
    """Capacity per service location: the service's capacity split over its locations; a missing
    capacity counts as the median known capacity of the category (1 if none is known)."""
    known = [c for c in capacity if c is not None]
    fallback = float(np.median(known)) if known else 1.0
    cap = np.array([fallback if c is None else float(c) for c in capacity], dtype=float)
    return cap / np.maximum(np.asarray(locations, dtype=float), 1.0)
