-- Regions as one GeoJSON FeatureCollection, built in PostGIS. `tolerance_deg` simplifies shapes
-- (topology-preserving) for display; 0 keeps them as stored.
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
