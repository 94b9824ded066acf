-- A point just outside every county (on a river or a coast) takes the nearest county within 5 km
-- (metres on the ellipsoid). The five nearest counties by the planar KNN index are the candidates,
-- so no county outline is cast to geography unless it is next to the point.
-- location_ids narrows it to the points an import found outside (NULL: every unplaced one of source).
UPDATE location l
SET county_fips = (
    SELECT near.code
    FROM (SELECT c.code, c.geom FROM region c WHERE c.kind = 'county'
          ORDER BY c.geom <-> l.geom LIMIT 5) near
    WHERE ST_DWithin(near.geom::geography, l.geom::geography, 5000)
    ORDER BY ST_Distance(near.geom::geography, l.geom::geography)
    LIMIT 1
)
WHERE l.source = %(source)s AND l.geom IS NOT NULL AND l.county_fips IS NULL
  AND (%(location_ids)s::text[] IS NULL OR l.id = ANY(%(location_ids)s::text[]))
