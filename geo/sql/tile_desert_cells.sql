-- The desert cells one tile may draw: for each H3 cell, the latest finished run's values (a NULL
-- stage asks for the all-stages run), at the resolution of the newest such run only (runs at other
-- resolutions would draw overlapping hexagons of two sizes; it is `resolution` of the version
-- below). A run's cells of a category it measured from the exact point of a site that is now
-- confidential (view desert_withheld, migration 0013) are never read. Distances are metres on the ellipsoid.
-- Cells are found through their surface blocks' boxes and then their centres (within the tile's
-- envelope and its 1/64 buffer, widened by more than a cell's size at that resolution: about
-- 2.5 average edge lengths, scaled east-west by `lat_factor`); the caller draws each hexagon from
-- its H3 index, keeps those whose box overlaps the tile's box (the envelope is returned for it,
-- and the tile's own in EPSG:3857 for geo/deserts/tile_geometry.py) and
-- the first `limit` of them by H3 index (geo/deserts/draw.py: tile_cells). The H3 indexes come as
-- comma-separated text, every other column as an array literal that the caller passes back to
-- tile_deserts.sql as it is, so a value is never converted on the way. `version` is what the cells
-- were read from (tile_desert_version.sql, included where it is named, in this statement's snapshot).
WITH version AS (
-- include: tile_desert_version
),
env AS (
    SELECT e4326, ST_XMin(e4326) AS xmin, ST_YMin(e4326) AS ymin, ST_XMax(e4326) AS xmax, ST_YMax(e4326) AS ymax,
           ST_XMin(tile) AS tile_xmin, ST_YMin(tile) AS tile_ymin, ST_XMax(tile) AS tile_xmax, ST_YMax(tile) AS tile_ymax,
           2.5 * 1281256.0 / power(7, (SELECT resolution FROM version) / 2.0) / 111320.0 AS margin_deg
    FROM (SELECT ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625), 4326) AS e4326,
                 ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile) t
),
cells AS (
    SELECT DISTINCT ON (u.h3)
           u.h3, m.category, m.stage, u.population, u.urban, u.distance <= t.threshold_m AS covered,
           nullif(u.distance, 'Infinity') AS distance_m, t.threshold_m, u.access_2sfca, u.access_e2sfca
    FROM env
    JOIN desert_surface_block b ON b.bbox && env.e4326
    JOIN desert_run r ON r.surface_id = b.surface_id
    JOIN desert_measure m ON m.run_id = r.id AND m.county_fips = b.county_fips
    CROSS JOIN LATERAL unnest(b.h3, b.lon, b.lat, b.population, b.urban, m.distance_m, m.access_2sfca,
                              m.access_e2sfca)
        AS u(h3, lon, lat, population, urban, distance, access_2sfca, access_e2sfca)
    CROSS JOIN LATERAL (SELECT CASE WHEN u.urban THEN m.urban_threshold_m ELSE m.rural_threshold_m END
                               AS threshold_m) t
    WHERE r.finished_at IS NOT NULL AND r.resolution = (SELECT resolution FROM version)
      AND (%(category)s::text IS NULL OR m.category = %(category)s)
      AND (CASE WHEN %(stage)s::text IS NULL THEN coalesce(m.stage, '') IN ('', 'all')
                ELSE m.stage = %(stage)s END)
      AND NOT EXISTS (SELECT 1 FROM desert_withheld w WHERE w.run_id = m.run_id AND w.category = m.category)
      AND u.lat BETWEEN env.ymin - env.margin_deg AND env.ymax + env.margin_deg
      AND u.lon BETWEEN env.xmin - env.margin_deg * %(lat_factor)s AND env.xmax + env.margin_deg * %(lat_factor)s
    ORDER BY u.h3, r.finished_at DESC, r.id DESC
    LIMIT %(limit)s
)
SELECT (SELECT version FROM version) AS version, env.xmin, env.ymin, env.xmax, env.ymax,
       env.tile_xmin, env.tile_ymin, env.tile_xmax, env.tile_ymax,
       array_to_string(array_agg(c.h3 ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL), ',') AS h3,
       (array_agg(c.category ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL))::text AS category,
       (array_agg(c.stage ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL))::text AS stage,
       (array_agg(c.population ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL))::text AS population,
       (array_agg(c.urban ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL))::text AS urban,
       (array_agg(c.covered ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL))::text AS covered,
       (array_agg(c.distance_m ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL))::text AS distance_m,
       (array_agg(c.threshold_m ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL))::text AS threshold_m,
       (array_agg(c.access_2sfca ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL))::text AS access_2sfca,
       (array_agg(c.access_e2sfca ORDER BY c.h3) FILTER (WHERE c.h3 IS NOT NULL))::text AS access_e2sfca
FROM env LEFT JOIN cells c ON true
GROUP BY env.xmin, env.ymin, env.xmax, env.ymax, env.tile_xmin, env.tile_ymin, env.tile_xmax, env.tile_ymax
