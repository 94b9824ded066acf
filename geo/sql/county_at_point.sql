-- The county a point is in; a point just outside every county (a river, a coast) takes the nearest
-- county within 5 km, measured in metres on the ellipsoid. Same rule as the loaders' overlay.
-- The && box (0.2°, wider than 5 km everywhere in the US) lets the GiST index pick candidates.
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS pt)
SELECT r.code AS county_fips
FROM region r, p
WHERE r.kind = 'county'
  AND r.geom && ST_Expand(p.pt, 0.2)
  AND ST_DWithin(r.geom::geography, p.pt::geography, 5000)
ORDER BY ST_Intersects(r.geom, p.pt) DESC, ST_Distance(r.geom::geography, p.pt::geography)
LIMIT 1
