-- Desert cells in one tile, as polygons clipped to the tile. Which cells, and their values, come
-- from tile_desert_cells.sql (the latest finished run's values per H3 cell, withheld runs never
-- read); their hexagons are drawn from the H3 index by geo/deserts/draw.py:tile_cells and passed
-- here as arrays, so this statement only clips and encodes. Distances are metres on the ellipsoid.
WITH env AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e
),
cells AS (
    SELECT * FROM unnest(%(cell_h3)s::text[], %(cell_category)s::text[], %(cell_stage)s::text[],
                         %(cell_population)s::float8[], %(cell_urban)s::boolean[], %(cell_covered)s::boolean[],
                         %(cell_distance_m)s::float8[], %(cell_threshold_m)s::float8[],
                         %(cell_access_2sfca)s::float8[], %(cell_access_e2sfca)s::float8[],
                         %(cell_geom)s::bytea[])
        AS c(h3, category, stage, population, urban, covered, distance_m, threshold_m, access_2sfca,
             access_e2sfca, wkb)
    CROSS JOIN LATERAL ST_GeomFromEWKB(c.wkb) AS geom
)
SELECT ST_AsMVT(q, 'deserts', 4096, 'geom') AS tile
FROM (
    SELECT h3, category, stage, population, urban, covered, round(distance_m) AS distance_m,
           threshold_m, access_2sfca, access_e2sfca,
           ST_AsMVTGeom(ST_Transform(geom, 3857), env.e, 4096, 64, true) AS geom
    FROM cells, env
) q
WHERE geom IS NOT NULL
