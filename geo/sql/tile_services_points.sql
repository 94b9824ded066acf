-- Public services in one web-mercator tile, one feature each (high zooms), from service_map_point
-- (which never holds confidential or retired records). The 4326 GiST index does the filtering:
-- a mercator tile is a lon/lat rectangle, so `geom && ST_Transform(envelope, 4326)` selects its
-- points (with a 64/4096 margin so symbols at the edge are drawn whole).
WITH env AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625), 4326) AS e4326
),
pts AS (
    SELECT p.service_id AS id, p.name, p.organization, p.is_sample, p.county_fips, p.categories, p.stages,
           ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(p.x3857, p.y3857), 3857), env.e, 4096, 64, true) AS geom
    FROM env
    JOIN service_map_point p ON p.geom && env.e4326
    WHERE (%(category)s::text IS NULL OR %(category)s = ANY(p.category_codes))
      AND (%(stage)s::text IS NULL OR %(stage)s = ANY(p.stage_codes))
    LIMIT %(limit)s
)
SELECT ST_AsMVT(pts, 'services', 4096, 'geom') AS tile FROM pts
