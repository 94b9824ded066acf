"""Test data for deserts: a category of our own and services placed exactly where a test wants."""

from __future__ import annotations

import uuid

from pyproj import Transformer

TEST_CATEGORY = "test-desert-shelter"
TERM_ID = "test-desert-term"
SOURCE = "test-deserts"


def add_category(conn, urban_m: float = 5000, rural_m: float = 5000) -> None:
    conn.execute(
        """INSERT INTO taxonomy_term (id, code, name, taxonomy, urban_threshold_m, rural_threshold_m)
           VALUES (%s, %s, 'Test shelters', 'test', %s, %s) ON CONFLICT (id) DO NOTHING""",
        [TERM_ID, TEST_CATEGORY, urban_m, rural_m],
    )


COLUMBIA = (-92.334, 38.952)  # Missouri places the desert tests put shelters at
ST_LOUIS = (-90.245, 38.630)


def add_service(conn, lon: float, lat: float, *, capacity: int | None = 20, confidential: bool = False,
                stages: tuple[str, ...] = ("court",), county_fips: str | None = None) -> str:
    """One active service of TEST_CATEGORY at (lon, lat); returns its id."""
    org, svc, loc = (str(uuid.uuid4()) for _ in range(3))
    conn.execute("INSERT INTO organization (id, name, source) VALUES (%s, 'Test org', %s)", [org, SOURCE])
    conn.execute(
        """INSERT INTO service (id, organization_id, name, capacity, confidential, source)
           VALUES (%s, %s, 'Test shelter', %s, %s, %s)""",
        [svc, org, capacity, confidential, SOURCE],
    )
    conn.execute(
        """INSERT INTO location (id, organization_id, geom, confidential, county_fips, source)
           VALUES (%s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s)""",
        [loc, org, lon, lat, confidential, county_fips, SOURCE],
    )
    conn.execute("INSERT INTO service_at_location (service_id, location_id, source) VALUES (%s, %s, %s)",
                 [svc, loc, SOURCE])
    conn.execute("INSERT INTO attribute (link_id, taxonomy_term_id, link_entity) VALUES (%s, %s, 'service')",
                 [svc, TERM_ID])
    for stage in stages:
        conn.execute("INSERT INTO service_stage (service_id, stage_code) VALUES (%s, %s)", [svc, stage])
    return svc


def remove_test_data(conn) -> None:
    conn.execute("DELETE FROM attribute WHERE taxonomy_term_id = %s", [TERM_ID])
    for table in ("service", "location", "organization"):
        conn.execute(f"DELETE FROM {table} WHERE source = %s", [SOURCE])  # noqa: S608
    conn.execute("DELETE FROM taxonomy_term WHERE id = %s", [TERM_ID])


def near_grid_corner(lon: float, lat: float, grid_m: float = 5000, offset_m: float = 100) -> tuple[float, float]:
    """A point `offset_m` inside the south-west corner of its EPSG:5070 grid square: its generalised
    position (the square's centre) is then ~3.4 km away."""
    to_albers = Transformer.from_crs(4326, 5070, always_xy=True)
    x, y = to_albers.transform(lon, lat)
    x, y = (x // grid_m) * grid_m + offset_m, (y // grid_m) * grid_m + offset_m
    return Transformer.from_crs(5070, 4326, always_xy=True).transform(x, y)


def used_point(conn, region, resolution: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Where the measures place TEST_CATEGORY's (one) confidential site in a run of `region`."""
    import shapely

    from geo.deserts.model import Parameters
    from geo.deserts.runs import load_service_points, region_counties
    from geo.deserts.surface import build_surface, places_in_bounds

    counties = region_counties(conn, region)
    bounds = shapely.union_all([c.geom.envelope for c in counties]).bounds
    surface = build_surface(counties, places_in_bounds(bounds), resolution)
    points = load_service_points(conn, counties, [TEST_CATEGORY], Parameters(resolution=resolution), surface)
    (k,) = [k for k, exact in enumerate(points[TEST_CATEGORY].exact) if not exact]
    return float(points[TEST_CATEGORY].lon[k]), float(points[TEST_CATEGORY].lat[k])
