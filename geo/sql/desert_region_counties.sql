-- The counties that make up a region (a county itself, a circuit's or division's members, a
-- state's counties), with their Census population and shape: the demand surface is built from them.
-- Each county also names its court region (circuit or division), for rollups.
SELECT c.code, c.name, coalesce(c.population, 0) AS population, ST_AsBinary(c.geom) AS wkb,
       g.kind AS court_kind, g.code AS court_code, g.name AS court_name
FROM region r
JOIN region c ON c.kind = 'county' AND (
        (r.kind = 'county' AND c.id = r.id)
     OR (r.kind = 'state' AND c.state_fips = r.state_fips)
     OR (r.kind IN ('circuit', 'division')
         AND c.id IN (SELECT m.member_id FROM region_member m WHERE m.region_id = r.id)))
LEFT JOIN LATERAL (
    SELECT g.kind, g.code, g.name FROM region_member m JOIN region g ON g.id = m.region_id
    WHERE m.member_id = c.id AND g.kind IN ('circuit', 'division')
    ORDER BY g.kind, g.code LIMIT 1
) g ON true
WHERE r.kind = %(kind)s AND r.code = %(code)s
ORDER BY c.code
