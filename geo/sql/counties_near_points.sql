-- The county of points just outside every county (on a river or a coast): the nearest county within
-- 5 km, in metres on the ellipsoid; no row's county_fips where none is that near. `n` numbers the
-- points from 1 in the order given. The five nearest counties by the planar KNN index are the
-- candidates, so no county outline is cast to geography unless it is next to the point.
SELECT p.n, (
    SELECT near.code
    FROM (SELECT c.code, c.geom FROM region c WHERE c.kind = 'county' ORDER BY c.geom <-> p.pt LIMIT 5) near
    WHERE ST_DWithin(near.geom::geography, p.pt::geography, 5000)
    ORDER BY ST_Distance(near.geom::geography, p.pt::geography)
    LIMIT 1
) AS county_fips
FROM (
    SELECT u.n, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) AS pt
    FROM unnest(%(lons)s::float8[], %(lats)s::float8[]) WITH ORDINALITY AS u(lon, lat, n)
) p
ORDER BY p.n
