-- Overlay: give each placed location of a source its county (point in polygon on the GiST index).
UPDATE location l
SET county_fips = c.code
FROM region c
WHERE l.source = %(source)s AND l.geom IS NOT NULL
  AND c.kind = 'county' AND ST_Intersects(c.geom, l.geom)
  AND l.county_fips IS DISTINCT FROM c.code
