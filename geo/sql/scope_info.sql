-- One scope region: its name, state, bounding box and the counties it covers (itself for a county).
SELECT r.name, r.state_fips,
       ST_XMin(r.geom) AS minx, ST_YMin(r.geom) AS miny, ST_XMax(r.geom) AS maxx, ST_YMax(r.geom) AS maxy,
       CASE r.kind
           WHEN 'county' THEN ARRAY[r.code]
           WHEN 'state' THEN (SELECT array_agg(c.code ORDER BY c.code) FROM region c
                              WHERE c.kind = 'county' AND c.state_fips = r.code)
           ELSE (SELECT array_agg(c.code ORDER BY c.code) FROM region_member m
                 JOIN region c ON c.id = m.member_id WHERE m.region_id = r.id AND c.kind = 'county')
       END AS county_fips
FROM region r
WHERE r.kind = %(kind)s AND r.code = %(code)s
