-- Loaded population areas (tracts, block groups) that touch any of the given counties.
SELECT a.geoid, a.population, ST_AsBinary(a.geom) AS wkb
FROM desert_population_area a
WHERE EXISTS (SELECT 1 FROM region c
              WHERE c.kind = 'county' AND c.code = ANY(%(counties)s)
                AND c.geom && a.geom AND ST_Intersects(c.geom, a.geom))
ORDER BY a.geoid
