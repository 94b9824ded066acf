-- Desert cells in one tile: for each H3 cell the latest finished run's values (a NULL stage asks
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
    JOIN desert_cell c ON c.geom && env.e4326
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
