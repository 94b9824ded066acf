-- How fresh the directory is in region (%(kind)s, %(code)s): for the region itself, each county in
-- it and (for a state) each circuit or division in it, the listings (active services at placed
-- locations, as search lists them: service_point, confidential ones by their county only), how
-- many were verified within %(months)s months, and their open problem reports. A service at sites
-- in several counties counts once in each county and once in a region holding any of them.
-- Counted over distinct (area, service) pairs with each service's open reports summed, and the
-- counties of an area joined by equality (own county, state, members): no per-group DISTINCT sort.
WITH target AS (
    SELECT id, kind, code FROM region WHERE kind = %(kind)s AND code = %(code)s
), areas AS (
    SELECT t.id FROM target t
    UNION
    SELECT c.id FROM region c, target t
    WHERE c.kind = 'county'
      AND (c.id = t.id OR (t.kind = 'state' AND c.state_fips = t.code)
           OR EXISTS (SELECT 1 FROM region_member m WHERE m.region_id = t.id AND m.member_id = c.id))
    UNION
    SELECT g.id FROM region g, target t
    WHERE t.kind = 'state' AND g.kind IN ('circuit', 'division') AND g.state_fips = t.code
), area_county AS (
    SELECT a.id AS area_id, c.code AS fips
    FROM areas a JOIN region r ON r.id = a.id JOIN region c ON c.kind = 'county' AND c.id = r.id
    UNION
    SELECT a.id, c.code
    FROM areas a JOIN region r ON r.id = a.id AND r.kind = 'state' JOIN region c ON c.kind = 'county' AND c.state_fips = r.code
    UNION
    SELECT a.id, c.code
    FROM areas a JOIN region_member m ON m.region_id = a.id JOIN region c ON c.kind = 'county' AND c.id = m.member_id
), listed AS (
    SELECT DISTINCT sp.service_id, sp.county_fips
    FROM service_point sp WHERE sp.county_fips IN (SELECT fips FROM area_county)
), area_service AS (
    SELECT DISTINCT ac.area_id, l.service_id
    FROM area_county ac JOIN listed l ON l.county_fips = ac.fips
), per_area AS (
    SELECT a.area_id, count(*) AS services,
           count(*) FILTER (WHERE s.assured_date >= current_date - make_interval(months => %(months)s)) AS verified,
           coalesce(sum(p.reports), 0)::bigint AS open_reports
    FROM area_service a
    JOIN service s ON s.id = a.service_id
    LEFT JOIN (SELECT service_id, count(*) AS reports FROM problem_report WHERE status = 'open' GROUP BY service_id) p
           ON p.service_id = a.service_id
    GROUP BY a.area_id
)
SELECT r.kind, r.code, r.name, coalesce(pa.services, 0) AS services, coalesce(pa.verified, 0) AS verified,
       round(pa.verified::numeric / nullif(pa.services, 0), 3)::float8 AS share_verified,
       coalesce(pa.open_reports, 0) AS open_reports
FROM areas a JOIN region r ON r.id = a.id
LEFT JOIN per_area pa ON pa.area_id = a.id
ORDER BY r.id <> (SELECT id FROM target), r.kind <> 'circuit' AND r.kind <> 'division', r.name
