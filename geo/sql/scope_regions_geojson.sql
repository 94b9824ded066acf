-- Regions of one kind tied to a scope: the scope itself, its member counties (a circuit's counties),
-- the groups it belongs to (a county's circuit), or everything of that kind in a state.
WITH s AS (SELECT id, kind, code FROM region WHERE kind = %(scope_kind)s AND code = %(scope_code)s)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', r.code,
        'properties', json_build_object(
            'kind', r.kind, 'code', r.code, 'name', r.name, 'state_fips', r.state_fips,
            'population', r.population),
        'geometry', ST_AsGeoJSON(
            CASE WHEN %(tolerance_deg)s > 0 THEN ST_SimplifyPreserveTopology(r.geom, %(tolerance_deg)s)
                 ELSE r.geom END, 6)::json
    ) ORDER BY r.code), '[]'::json)
) AS collection
FROM region r, s
WHERE r.kind = %(kind)s
  AND (r.id = s.id
       OR r.id IN (SELECT member_id FROM region_member WHERE region_id = s.id)
       OR r.id IN (SELECT region_id FROM region_member WHERE member_id = s.id)
       OR (s.kind = 'state' AND r.state_fips = s.code))
