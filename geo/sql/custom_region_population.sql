-- Population of custom areas by areal interpolation from counties, in an equal-area projection
-- (EPSG:5070, CONUS Albers): each county's population is spread evenly over its area.
UPDATE region r
SET population = est.population
FROM (
    SELECT x.id, round(sum(c.population * ST_Area(ST_Transform(ST_Intersection(x.geom, c.geom), 5070))
                           / NULLIF(ST_Area(ST_Transform(c.geom, 5070)), 0)))::bigint AS population
    FROM region x
    JOIN region c ON c.kind = 'county' AND c.geom && x.geom AND ST_Intersects(c.geom, x.geom)
    WHERE x.id = ANY(%(region_ids)s)
    GROUP BY x.id
) est
WHERE r.id = est.id
