"""Where a confidential site counts in the measures: hidden among enough people.

A confidential site (a shelter) counts toward coverage and capacity, but from a point that tells no
more than an area holding at least N residents (`Parameters.confidential_min_residents`, setting
ATLAS_DESERT_CONFIDENTIAL_MIN_RESIDENTS, default 10,000), or its county when that is smaller:

- The areas are squares of a fixed quadtree in CONUS Albers (EPSG:5070): sides of 1 km × 2^k.
  The same squares whatever the run, so two runs never reveal two different areas whose overlap
  is smaller than either.
- A square's residents are counted from the run's demand surface, each cell counting at most the
  urban density (1,000 per square mile) times its area: a city whose people the surface piles into
  the cell at its point never makes a small square look populous. So in a city a site's square is
  at least 8 km across for N = 10,000; in a rural county it grows until it holds N people.
- The site counts at the centre of the smallest square around it holding ≥ N residents; if its
  county holds fewer people than that square (or no square does), at its county's
  PointOnSurface. Nothing finer can be recovered from any output: each distance, coverage or
  access value is computed from that point.

Only the squares' populations leave Python (as arrays); the site's own point never leaves the
database (geo/sql/desert_services.sql picks its square).
"""

from __future__ import annotations

import math

import h3
import numpy as np
from pyproj import Transformer

from geo.deserts.surface import URBAN_DENSITY_PER_KM2, DemandSurface

BASE_SQUARE_M = 1000.0
LEVELS = 11  # squares of 1 km up to 1,024 km
TO_ALBERS = Transformer.from_crs(4326, 5070, always_xy=True)


def zone_table(surface: DemandSurface | None, min_residents: float) -> dict[str, object]:
    """Every quadtree square that could hide a site among `min_residents` people (level, column,
    row in EPSG:5070, residents), as query parameters for desert_services.sql."""
    empty: dict[str, list] = {"zone_level": [], "zone_ix": [], "zone_iy": [], "zone_people": []}
    if surface is None or len(surface) == 0:
        return {**empty, "min_residents": min_residents, "base_square_m": BASE_SQUARE_M, "top_level": LEVELS - 1}
    cap = URBAN_DENSITY_PER_KM2 * h3.average_hexagon_area(surface.resolution, "km^2")
    people = np.minimum(surface.population, cap)
    x, y = TO_ALBERS.transform(surface.lon, surface.lat)
    ix0 = np.floor(np.asarray(x) / BASE_SQUARE_M).astype(np.int64)
    iy0 = np.floor(np.asarray(y) / BASE_SQUARE_M).astype(np.int64)
    # No square smaller than this can hold min_residents at the capped density.
    side_km = math.sqrt(max(min_residents, 1.0) / URBAN_DENSITY_PER_KM2)
    first = max(0, math.ceil(math.log2(max(side_km * 1000 / BASE_SQUARE_M, 1.0))))
    out: dict[str, list] = {k: [] for k in empty}
    for level in range(first, LEVELS):
        # One int64 per square (column in the high bits, row offset into the low 32): a 1-D unique
        # is ~50× faster than np.unique over (column, row) pairs, and sums the same cells.
        key = (ix0 >> level) * 2**32 + ((iy0 >> level) + 2**31)
        keys, inverse = np.unique(key, return_inverse=True)
        total = np.bincount(inverse.ravel(), weights=people, minlength=len(keys))
        ix = keys // 2**32
        out["zone_level"] += [level] * len(keys)
        out["zone_ix"] += ix.tolist()
        out["zone_iy"] += (keys - ix * 2**32 - 2**31).tolist()
        out["zone_people"] += total.tolist()
    return {**out, "min_residents": min_residents, "base_square_m": BASE_SQUARE_M, "top_level": LEVELS - 1}
