-- The county containing a point and the court regions (circuit, division) that county belongs to.
SELECT c.code AS county_fips, c.name AS county_name,
       g.kind AS court_kind, g.code AS court_code, g.name AS court_name
FROM region c
LEFT JOIN region_member m ON m.member_id = c.id
LEFT JOIN region g ON g.id = m.region_id AND g.kind IN ('circuit', 'division')
WHERE c.kind = 'county'
  AND ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
ORDER BY g.kind NULLS LAST
