"""Confidential sites in the desert measures are hidden among at least N residents (or their
county, when that is smaller): never a fixed square that a rural county may fill with a handful
of homes. Checked on the point the measures use and on the stored distances."""

from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geo.deserts.measures import geodesic_m
from geo.deserts.model import Parameters
from geo.deserts.privacy import BASE_SQUARE_M
from geo.deserts.runs import compute_run, load_service_points, region_counties
from geo.deserts.surface import build_surface, places_in_bounds
from geo.scope import RegionRef
from tests.geo.deserts_data import TEST_CATEGORY, add_category, add_service

TO_ALBERS = Transformer.from_crs(4326, 5070, always_xy=True)
COLUMBIA = (-92.334, 38.952)  # Boone County, ~180,000 people
WORTH = (-94.42, 40.48)  # Worth County, ~2,000 people: any 10,000 reach far beyond it


def generalised(conn, region: RegionRef, params: Parameters) -> tuple[list[dict], object]:  # type: ignore[no-untyped-def]
    """Each confidential site of TEST_CATEGORY near `region`: its exact point (read here, in the
    test, from the database) and the point the measures use; and the run's surface."""
    counties = region_counties(conn, region)
    surface = build_surface(counties, places_in_bounds(shapely.union_all([c.geom.envelope for c in counties]).bounds),
                            params.resolution)
    points = load_service_points(conn, counties, [TEST_CATEGORY], params, surface)[TEST_CATEGORY]
    sites = []
    for k, (location, exact) in enumerate(zip(points.location_id, points.exact, strict=True)):
        if exact:
            continue
        row = conn.execute("""SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, county_fips FROM location
                              WHERE id = %s""", [location]).fetchone()
        sites.append({"site": (row["lon"], row["lat"]), "used": (points.lon[k], points.lat[k]),
                      "county": row["county_fips"]})
    return sites, surface


def hiding_area(conn, site: dict, surface) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    """What the used point reveals: its county, or the quadtree square it is the centre of (which
    must contain the site), and the residents there by the surface (uncapped)."""
    county = conn.execute("""SELECT population, ST_X(p) AS lon, ST_Y(p) AS lat
                             FROM region, ST_PointOnSurface(geom) p WHERE kind = 'county' AND code = %s""",
                          [site["county"]]).fetchone()
    if site["used"] == pytest.approx((county["lon"], county["lat"]), abs=1e-9):
        return "county", float(county["population"])
    ux, uy = TO_ALBERS.transform(*site["used"])
    sx, sy = TO_ALBERS.transform(*site["site"])
    x, y = TO_ALBERS.transform(surface.lon, surface.lat)
    for level in range(12):
        side = BASE_SQUARE_M * 2**level
        if np.hypot(ux - (np.floor(sx / side) + 0.5) * side, uy - (np.floor(sy / side) + 0.5) * side) < 1:
            inside = (np.floor(np.asarray(x) / side) == np.floor(sx / side)) & \
                     (np.floor(np.asarray(y) / side) == np.floor(sy / side))
            return f"square of {side / 1000:g} km", float(surface.population[inside].sum())
    raise AssertionError(f"the used point {site['used']} is neither the county's nor a square's centre")


@pytest.mark.parametrize("min_residents", [10_000, 50_000])
def test_a_city_shelter_hides_among_at_least_n_residents(conn, min_residents):  # type: ignore[no-untyped-def]
    add_category(conn)
    add_service(conn, *COLUMBIA, confidential=True, county_fips="29019")
    params = Parameters(resolution=7, confidential_min_residents=min_residents)
    (site,), surface = generalised(conn, RegionRef("circuit", "MO-13"), params)
    kind, residents = hiding_area(conn, site, surface)
    assert kind.startswith("square") and residents >= min_residents
    assert geodesic_m(*map(np.array, ([site["site"][0]], [site["site"][1]], [site["used"][0]],
                                      [site["used"][1]])))[0] > 500


def test_a_rural_shelter_counts_at_its_county_point_when_the_county_is_smaller(conn):  # type: ignore[no-untyped-def]
    add_category(conn)
    add_service(conn, *WORTH, confidential=True, county_fips="29227")
    for region in (RegionRef("county", "29227"), RegionRef("state", "29")):
        (site,), surface = generalised(conn, region, Parameters(resolution=6))
        kind, residents = hiding_area(conn, site, surface)
        assert kind == "county" and residents < 10_000  # Worth County is smaller than any 10,000


def test_no_stored_distance_narrows_a_sample_shelter_below_n_residents(conn):  # type: ignore[no-untyped-def]
    """Shelters in a city, a town and the countryside of a circuit: each used point reveals a county or a square of
    ≥ N residents, and the run's distance surface is centred on that point, not on the site."""
    add_category(conn, urban_m=3000, rural_m=3000)
    for lon, lat, fips in ((-92.30, 38.98, "29019"), (-91.95, 38.85, "29027"), (-92.60, 39.00, "29019")):
        add_service(conn, lon, lat, confidential=True, county_fips=fips)
    region, params = RegionRef("circuit", "MO-13"), Parameters(resolution=8)
    sites, surface = generalised(conn, region, params)
    assert len(sites) == 3
    for site in sites:
        kind, residents = hiding_area(conn, site, surface)
        assert kind == "county" or residents >= params.confidential_min_residents
    run_id = compute_run(conn, region, categories=[TEST_CATEGORY], params=params)
    cells = conn.execute("SELECT h3, distance_m FROM desert_cell WHERE run_id = %s", [run_id]).fetchall()
    distance = {c["h3"]: c["distance_m"] for c in cells}
    checked = 0
    for site in sites:
        own = h3.latlng_to_cell(site["site"][1], site["site"][0], 8)
        used = h3.latlng_to_cell(site["used"][1], site["used"][0], 8)
        if used in distance:  # the nearest cell to a used point measures (almost) nothing
            assert distance[used] < 500
        if own in distance:
            assert distance[own] > 500  # the site's own cell is measured from elsewhere
            checked += 1
    assert checked >= 2
