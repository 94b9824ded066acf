"""The desert storage before migration 0017, kept as the reference the compact storage must
match: one row per cell with its polygon (a temporary table here), filled the way compute_run
filled it, and read with the SQL the cells API and the tiles used then (verbatim but for the table
name). tests/geo/test_deserts_compact.py compares the two on the test data."""

from __future__ import annotations

import numpy as np
import shapely

from geo.db import copy_rows
from geo.deserts.measures import LocalProjection
from geo.deserts.model import Parameters, measure_cells
from geo.deserts.population import apply_population_areas, population_areas_near
from geo.deserts.runs import category_thresholds, load_service_points, region_counties
from geo.deserts.surface import build_surface, places_in_bounds
from geo.scope import RegionRef

TABLE = """CREATE TEMP TABLE legacy_desert_cell (
    run_id bigint NOT NULL, h3 text NOT NULL, category text NOT NULL, stage text,
    geom geometry(Polygon, 4326) NOT NULL, population double precision NOT NULL, urban boolean NOT NULL,
    distance_m double precision, threshold_m double precision NOT NULL, covered boolean NOT NULL,
    access_2sfca double precision NOT NULL, access_e2sfca double precision NOT NULL, county_fips char(5)
) ON COMMIT DROP"""
COLUMNS = ["run_id", "h3", "category", "stage", "geom", "population", "urban", "distance_m", "threshold_m",
           "covered", "access_2sfca", "access_e2sfca", "county_fips"]

CELLS_GEOJSON = """-- A run's cells for one category over some counties, as GeoJSON. `value` is the asked measure
-- (the column is chosen from a fixed list by the caller). No service point is ever part of this.
-- `uncovered_population` (0 where covered) and `run_id` are what the map layers colour and show.
-- Returned as json; the API's reader casts it to text, ready to send: the database builds it once.
-- A run that measured this category from the exact point of a site that is now confidential
-- (view desert_withheld) gives no features: its run summary says why (`withheld`) and that it is
-- stale. The check is in this statement, so it sees exactly what the cells are read with.
WITH withheld AS (
    SELECT EXISTS (SELECT 1 FROM desert_withheld w
                   WHERE w.run_id = %(run_id)s AND w.category = %(category)s) AS yes
)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'run', (%(run)s::jsonb || CASE WHEN (SELECT yes FROM withheld)
                                   THEN jsonb_build_object('stale', true, 'withheld', %(withheld_reason)s::text)
                                   ELSE jsonb_build_object('withheld', NULL) END)::json,
    'measure', %(measure)s::text,
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', c.h3,
        'properties', json_build_object(
            'h3', c.h3, 'run_id', c.run_id, 'county_fips', c.county_fips,
            'population', round(c.population::numeric, 2),
            'uncovered_population', CASE WHEN c.covered THEN 0 ELSE round(c.population::numeric, 2) END,
            'urban', c.urban, 'distance_m', round(c.distance_m::numeric, 1),
            'threshold_m', c.threshold_m, 'covered', c.covered,
            'access_2sfca', c.access_2sfca, 'access_e2sfca', c.access_e2sfca,
            'value', {measure}),
        'geometry', ST_AsGeoJSON(c.geom, 6)::json
    ) ORDER BY c.h3), '[]'::json)
) AS collection
FROM legacy_desert_cell c
WHERE c.run_id = %(run_id)s AND c.category = %(category)s AND c.stage IS NOT DISTINCT FROM %(stage)s
  AND c.county_fips = ANY(%(counties)s)
  AND NOT (SELECT yes FROM withheld)
"""

TILE = """-- Desert cells in one tile: for each H3 cell the latest finished run's values (a NULL stage asks
-- for the all-stages run), as polygons clipped to the tile. Distances are metres on the ellipsoid.
-- Only cells at the resolution of the newest such run: runs at other resolutions would draw
-- overlapping hexagons of two sizes. A run's cells of a category it measured from the exact point
-- of a site that is now confidential (view desert_withheld, migration 0013) are never drawn.
WITH newest AS (
    SELECT r.resolution FROM desert_run r
    WHERE r.finished_at IS NOT NULL
      AND (%(category)s::text IS NULL OR r.parameters->'categories' ? %(category)s::text)
      AND (CASE WHEN %(stage)s::text IS NULL THEN coalesce(r.stage, '') IN ('', 'all')
                ELSE r.stage = %(stage)s END)
      AND NOT EXISTS (SELECT 1 FROM desert_withheld w WHERE w.run_id = r.id
                                                        AND w.category = coalesce(%(category)s, w.category))
    ORDER BY r.finished_at DESC, r.id DESC
    LIMIT 1
),
env AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625), 4326) AS e4326
),
cells AS (
    SELECT DISTINCT ON (c.h3)
           c.h3, c.category, c.stage, c.population, c.urban, c.covered, c.distance_m, c.threshold_m,
           c.access_2sfca, c.access_e2sfca, c.geom
    FROM env
    JOIN legacy_desert_cell c ON c.geom && env.e4326
    JOIN desert_run r ON r.id = c.run_id
    WHERE r.finished_at IS NOT NULL AND r.resolution = (SELECT resolution FROM newest)
      AND (%(category)s::text IS NULL OR c.category = %(category)s)
      AND (CASE WHEN %(stage)s::text IS NULL THEN coalesce(c.stage, '') IN ('', 'all')
                ELSE c.stage = %(stage)s END)
      AND NOT EXISTS (SELECT 1 FROM desert_withheld w WHERE w.run_id = c.run_id AND w.category = c.category)
    ORDER BY c.h3, r.finished_at DESC, r.id DESC
    LIMIT %(limit)s
)
SELECT ST_AsMVT(q, 'deserts', 4096, 'geom') AS tile
FROM (
    SELECT h3, category, stage, population, urban, covered, round(distance_m) AS distance_m,
           threshold_m, access_2sfca, access_e2sfca,
           ST_AsMVTGeom(ST_Transform(geom, 3857), env.e, 4096, 64, true) AS geom
    FROM cells, env
) q
WHERE geom IS NOT NULL
"""


def write_legacy_cells(conn, run_id: int, region: RegionRef, categories: list[str], params: Parameters) -> None:  # type: ignore[no-untyped-def]
    """The run's cells (all stages) as the old compute_run wrote them, from the same inputs."""
    conn.execute(TABLE)
    counties = region_counties(conn, region)
    thresholds = category_thresholds(conn, categories)
    bounds = shapely.union_all([c.geom.envelope for c in counties]).bounds
    surface = build_surface(counties, places_in_bounds(bounds), params.resolution, place_spread=params.place_spread)
    apply_population_areas(surface, population_areas_near(conn, [c.fips for c in counties]))
    urban = surface.urban(params.urban_density_per_km2)
    h3s = surface.h3_strings()
    geoms = shapely.to_wkb(shapely.set_srid(surface.polygons(), 4326), hex=True, include_srid=True).tolist()
    services = load_service_points(conn, counties, categories, params, surface)
    projection = LocalProjection.around(np.concatenate([surface.lon, *(s.lon for s in services.values())]),
                                        np.concatenate([surface.lat, *(s.lat for s in services.values())]))
    demand = projection.points(surface.lon, surface.lat)
    fips = [c.fips for c in counties]
    county = [fips[k] for k in surface.county.tolist()]
    for category in categories:
        points = services[category]
        supply = projection.points(points.lon, points.lat)
        m = measure_cells(demand, surface.population, urban, supply, points.capacity, thresholds[category],
                          params.decay, projection.eps)
        distance = [d if d != float("inf") else None for d in m.distance_m.tolist()]
        rows = zip([run_id] * len(h3s), h3s, [category] * len(h3s), [None] * len(h3s), geoms,
                   surface.population.tolist(), urban.tolist(), distance, m.threshold_m.tolist(),
                   m.covered.tolist(), m.access_2sfca.tolist(), m.access_e2sfca.tolist(), county, strict=True)
        copy_rows(conn, "legacy_desert_cell", COLUMNS, list(rows))
