"""The demand surface's population model on constructed counties: places to their cells, capped at
the county total, the remainder spread evenly; and the urban density rule."""

from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely

from geo.deserts.surface import URBAN_DENSITY_PER_KM2, County, Place, build_surface

RES = 7  # ~5.2 km² cells
WEST = shapely.box(-92.40, 38.80, -92.20, 39.00)  # ~17 × 22 km
EAST = shapely.box(-92.20, 38.80, -92.00, 39.00)


def cell_of(surface, place: Place) -> int:
    cell = h3.str_to_int(h3.latlng_to_cell(place.lat, place.lon, RES))
    return int(np.flatnonzero(surface.cells == cell)[0])


def test_places_go_to_their_cells_and_the_rest_of_the_county_is_spread_evenly():
    town, village = Place(-92.30, 38.90, 3000), Place(-92.25, 38.85, 1000)
    surface = build_surface([County("29001", 10_000, WEST)], [town, village], RES)
    n = len(surface)
    assert n > 50 and len(set(surface.cells.tolist())) == n
    each = (10_000 - 4000) / n
    assert surface.population[cell_of(surface, town)] == pytest.approx(3000 + each)
    assert surface.population[cell_of(surface, village)] == pytest.approx(1000 + each)
    others = np.delete(surface.population, [cell_of(surface, town), cell_of(surface, village)])
    assert others == pytest.approx(np.full(n - 2, each))
    assert surface.population.sum() == pytest.approx(10_000)


def test_places_larger_than_their_county_are_scaled_down_to_its_total():
    big, other = Place(-92.30, 38.90, 8000), Place(-92.25, 38.85, 6000)
    surface = build_surface([County("29001", 7000, WEST)], [big, other], RES)
    assert surface.population[cell_of(surface, big)] == pytest.approx(4000)
    assert surface.population[cell_of(surface, other)] == pytest.approx(3000)
    assert surface.population.sum() == pytest.approx(7000)
    assert np.count_nonzero(surface.population) == 2  # nothing left to spread


def test_each_cell_belongs_to_one_county_and_each_county_keeps_its_own_people():
    in_east = Place(-92.10, 38.90, 2000)
    outside = Place(-91.50, 38.90, 50_000)  # not in the region: ignored
    surface = build_surface([County("29001", 10_000, WEST), County("29003", 5000, EAST)], [in_east, outside], RES)
    by_county = np.bincount(surface.county, weights=surface.population)
    assert by_county == pytest.approx([10_000, 5000])
    assert surface.county[cell_of(surface, in_east)] == 1


def test_a_county_too_small_for_a_cell_centre_still_gets_a_cell_with_its_people():
    speck = shapely.box(-92.301, 38.901, -92.300, 38.902)
    surface = build_surface([County("29510", 300, speck)], [], RES)
    assert len(surface) == 1 and surface.population.sum() == pytest.approx(300)


def test_cells_at_or_above_1000_people_per_square_mile_are_urban():
    area_km2 = h3.cell_area(h3.latlng_to_cell(38.90, -92.30, RES), "km^2")
    dense = Place(-92.30, 38.90, round(URBAN_DENSITY_PER_KM2 * area_km2) + 5)  # just above, < 5,000
    surface = build_surface([County("29001", dense.population + 100, WEST)], [dense], RES)
    urban = surface.urban()
    assert list(np.flatnonzero(urban)) == [cell_of(surface, dense)]
    sparse = build_surface([County("29001", dense.population + 100, WEST)],
                           [Place(-92.30, 38.90, dense.population - 20)], RES)
    assert not sparse.urban().any()


def test_a_city_makes_its_footprint_urban_not_only_its_own_cell():
    city = Place(-92.30, 38.90, 60_000)  # footprint radius sqrt(60000 / (π·386.1)) ≈ 7.0 km
    surface = build_surface([County("29001", 61_000, WEST)], [city], RES)
    urban = surface.urban()
    centre = cell_of(surface, city)
    assert urban[centre] and 5 < urban.sum() < len(surface)
    far = np.hypot((surface.lon - city.lon) * 86.7, (surface.lat - city.lat) * 111.0) > 9  # km, roughly
    assert not urban[far].any()


def test_with_footprints_a_citys_people_are_spread_over_its_circle_not_piled_on_its_centre():
    city = Place(-92.30, 38.90, 60_000)  # radius ≈ 7.0 km: a few dozen res-7 cells
    surface = build_surface([County("29001", 60_000, WEST)], [city], RES, place_spread="footprint")
    footprint = surface.footprint(cell_of(surface, city), 60_000, same_county=True)
    assert 10 < len(footprint) < 60
    assert surface.population[footprint] == pytest.approx(np.full(len(footprint), 60_000 / len(footprint)))
    assert np.delete(surface.population, footprint) == pytest.approx(0)  # all the county's people are the city's
    km = np.hypot((surface.lon - city.lon) * 86.7, (surface.lat - city.lat) * 111.0)
    assert km[footprint].max() < 7.5 and (surface.population[km > 8] == 0).all()
    assert surface.population.sum() == pytest.approx(60_000)


def test_a_footprint_stops_at_the_county_line_so_each_county_keeps_its_own_people():
    on_the_line = Place(-92.205, 38.90, 40_000)  # in WEST, 0.4 km from EAST: half its circle is over the line
    surface = build_surface([County("29001", 50_000, WEST), County("29003", 5000, EAST)], [on_the_line], RES,
                            place_spread="footprint")
    by_county = np.bincount(surface.county, weights=surface.population)
    assert by_county == pytest.approx([50_000, 5000])
    east = surface.county == 1
    assert surface.population[east] == pytest.approx(np.full(east.sum(), 5000 / east.sum()))
    # but the city's urban footprint does cross it: its neighbourhoods over the line are urban
    assert (surface.urban() & east).any()
