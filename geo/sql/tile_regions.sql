-- Region outlines (counties, or circuits and divisions) in one tile, clipped and simplified to the
-- tile's pixel grid by ST_AsMVTGeom.
WITH env AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625), 4326) AS e4326
),
shapes AS (
    SELECT r.kind, r.code, r.name, r.state_fips, r.population,
           ST_AsMVTGeom(ST_Transform(r.geom, 3857), env.e, 4096, 64, true) AS geom
    FROM env
    JOIN region r ON r.geom && env.e4326
    WHERE r.kind = ANY(%(kinds)s::text[])
    LIMIT %(limit)s
)
SELECT ST_AsMVT(shapes, %(layer)s, 4096, 'geom') AS tile FROM shapes WHERE geom IS NOT NULL
