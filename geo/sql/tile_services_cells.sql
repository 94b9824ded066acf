-- Unfiltered low-zoom service tiles from service_map_cell: the counts of one level inside the tile
-- (cell columns ix0 ≤ ix < ix1, rows iy0 ≤ iy < iy1), added up %(factor)s × %(factor)s into this
-- zoom's 1/64-of-a-tile grid and drawn at the mean position of their points.
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e),
cells AS (
    SELECT sum(c.n) AS point_count, sum(c.sum_x) / sum(c.n) AS cx, sum(c.sum_y) / sum(c.n) AS cy
    FROM service_map_cell c
    WHERE c.level = %(level)s AND c.ix >= %(ix0)s AND c.ix < %(ix1)s AND c.iy >= %(iy0)s AND c.iy < %(iy1)s
    GROUP BY (c.ix - %(ix0)s) / %(factor)s, (c.iy - %(iy0)s) / %(factor)s
    LIMIT %(limit)s
)
SELECT ST_AsMVT(q, 'services', 4096, 'geom') AS tile
FROM (
    SELECT c.point_count::integer AS point_count,
           ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.cx, c.cy), 3857), env.e, 4096, 64, true) AS geom
    FROM cells c, env
) q
