-- A point just outside every county (on a river or a coast) takes the nearest county within 5 km.
UPDATE location l
SET county_fips = (
    SELECT c.code FROM region c
    WHERE c.kind = 'county' AND ST_DWithin(c.geom::geography, l.geom::geography, 5000)
    ORDER BY c.geom <-> l.geom
    LIMIT 1
)
WHERE l.source = %(source)s AND l.geom IS NOT NULL AND l.county_fips IS NULL
