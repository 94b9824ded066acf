-- Regions as one GeoJSON FeatureCollection, built in PostGIS. Every filter is NULL for "all":
-- `kind`, `state_fips`, `code`, and a scope (`scope_kind`, `scope_code`) that keeps the regions tied
-- to it: the scope itself, its members (a circuit's counties), the groups it belongs to (a county's
-- circuit), or everything in a state; a scope that does not exist keeps none.
-- `tolerance_deg` simplifies shapes (topology-preserving) for display; 0 keeps them as stored.
WITH s AS (SELECT id, kind, code FROM region WHERE kind = %(scope_kind)s AND code = %(scope_code)s)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', r.code,
        'properties', json_build_object(
            'kind', r.kind, 'code', r.code, 'name', r.name, 'state_fips', r.state_fips,
            'population', r.population, 'source', r.source,
            'members', (SELECT json_agg(c.code ORDER BY c.code) FROM region_member m
                        JOIN region c ON c.id = m.member_id WHERE m.region_id = r.id),
            'member_of', (SELECT json_agg(g.code ORDER BY g.code) FROM region_member m
                          JOIN region g ON g.id = m.region_id WHERE m.member_id = r.id)),
        'geometry', ST_AsGeoJSON(
            CASE WHEN %(tolerance_deg)s > 0 THEN ST_SimplifyPreserveTopology(r.geom, %(tolerance_deg)s)
                 ELSE r.geom END, 6)::json
    ) ORDER BY r.kind, r.code), '[]'::json)
) AS collection
FROM region r
WHERE (%(kind)s::text IS NULL OR r.kind = %(kind)s)
  AND (%(state_fips)s::text IS NULL OR r.state_fips = %(state_fips)s)
  AND (%(code)s::text IS NULL OR r.code = %(code)s)
  AND (%(scope_kind)s::text IS NULL OR EXISTS (
        SELECT 1 FROM s
        WHERE r.id = s.id
           OR r.id IN (SELECT member_id FROM region_member WHERE region_id = s.id)
           OR r.id IN (SELECT region_id FROM region_member WHERE member_id = s.id)
           OR (s.kind = 'state' AND r.state_fips = s.code)))
