-- Desert cells in one tile, as polygons clipped to the tile. Which cells, and their values, come
-- from tile_desert_cells.sql (the latest finished run's values per H3 cell, withheld runs never
-- read) and are passed back as the array literals it returned; their hexagons are drawn from the H3
-- index by geo/deserts/draw.py:tile_cells and passed as one MultiPolygon whose n-th polygon is the
-- cell at position cell_keep[n] of the arrays (only the cells kept for the tile), so this statement
-- only joins, clips and encodes, in H3 order. Hexagons drawn already in tile coordinates exactly as
-- ST_AsMVTGeom would draw them (geo/deserts/tile_geometry.py) come as a second MultiPolygon
-- (cell_ready_shapes, cell_ready_keep) and are encoded as they are. Distances are metres on the
-- ellipsoid.
WITH env AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e
),
shapes AS (
    SELECT (%(cell_keep)s::bigint[])[d.path[1]] AS position, d.geom, false AS ready
    FROM ST_Dump(ST_GeomFromEWKB(%(cell_shapes)s::bytea)) d
    UNION ALL
    SELECT (%(cell_ready_keep)s::bigint[])[d.path[1]], d.geom, true
    FROM ST_Dump(ST_GeomFromWKB(%(cell_ready_shapes)s::bytea)) d
),
cells AS (
    SELECT c.*, s.geom, s.ready
    FROM shapes s
    JOIN unnest(%(cell_h3)s::bigint[], %(cell_category)s::text[], %(cell_stage)s::text[],
                %(cell_population)s::float8[], %(cell_urban)s::boolean[], %(cell_covered)s::boolean[],
                %(cell_distance_m)s::float8[], %(cell_threshold_m)s::float8[],
                %(cell_access_2sfca)s::float8[], %(cell_access_e2sfca)s::float8[]) WITH ORDINALITY
        AS c(h3, category, stage, population, urban, covered, distance_m, threshold_m, access_2sfca,
             access_e2sfca, position)
        ON c.position = s.position
)
-- With for_map, a tile carries only what a map draws and shows, rounded as it is shown (whole
-- people, distances to 100 m, three significant digits of access): a third of the bytes, so a
-- statewide map stays light. Only the chosen branch of the CASE runs.
SELECT CASE WHEN %(for_map)s THEN (
    SELECT ST_AsMVT(m, 'deserts', 4096, 'geom')
    FROM (
        SELECT covered, urban, round(population)::int AS population,
               (round(distance_m / 100) * 100)::int AS distance_m, round(threshold_m)::int AS threshold_m,
               CASE WHEN access_2sfca > 0
                    THEN round(access_2sfca::numeric, (2 - floor(log(access_2sfca)))::int)::float8
                    ELSE access_2sfca END AS access_2sfca,
               CASE WHEN ready THEN geom ELSE ST_AsMVTGeom(ST_Transform(geom, 3857), env.e, 4096, 64, true) END AS geom
        FROM cells, env
        ORDER BY position
    ) m
    WHERE geom IS NOT NULL
) ELSE (
    SELECT ST_AsMVT(q, 'deserts', 4096, 'geom')
    FROM (
        SELECT to_hex(h3) AS h3, category, stage, population, urban, covered, round(distance_m) AS distance_m,
               threshold_m, access_2sfca, access_e2sfca,
               CASE WHEN ready THEN geom ELSE ST_AsMVTGeom(ST_Transform(geom, 3857), env.e, 4096, 64, true) END AS geom
        FROM cells, env
        ORDER BY position
    ) q
    WHERE geom IS NOT NULL
) END AS tile
