-- Public services in one tile, aggregated (low zooms): points are counted per grid cell of
-- 1/%(grid)s of the tile and drawn at the mean position of their cell, so a state-wide tile carries
-- a few hundred counts, not every point. From service_map_point: confidential sites never count.
WITH env AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326) AS e4326,
           (ST_XMax(ST_TileEnvelope(%(z)s, %(x)s, %(y)s)) - ST_XMin(ST_TileEnvelope(%(z)s, %(x)s, %(y)s)))
               / %(grid)s AS cell
),
cells AS (
    SELECT count(*) AS point_count, avg(p.x3857) AS cx, avg(p.y3857) AS cy
    FROM env
    JOIN service_map_point p ON p.geom && env.e4326
    WHERE (%(category)s::text IS NULL OR %(category)s = ANY(p.category_codes))
      AND (%(stage)s::text IS NULL OR %(stage)s = ANY(p.stage_codes))
    GROUP BY floor(p.x3857 / env.cell), floor(p.y3857 / env.cell)
    LIMIT %(limit)s
)
SELECT ST_AsMVT(q, 'services', 4096, 'geom') AS tile
FROM (
    SELECT c.point_count, ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.cx, c.cy), 3857), env.e, 4096, 64, true) AS geom
    FROM cells c, env
) q
