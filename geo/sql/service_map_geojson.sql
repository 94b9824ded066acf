-- Public service points for a map layer, from service_map_point (never confidential or retired).
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', p.service_id,
        'properties', json_build_object(
            'id', p.service_id, 'name', p.name, 'organization', p.organization,
            'categories', p.category_codes, 'stages', p.stage_codes, 'phone', p.phone, 'city', p.city,
            'county_fips', p.county_fips, 'is_sample', p.is_sample),
        'geometry', ST_AsGeoJSON(p.geom, 5)::json
    )), '[]'::json)
) AS collection
FROM (
    SELECT * FROM service_map_point p
    WHERE (%(state_fips)s::text IS NULL OR left(p.county_fips, 2) = %(state_fips)s)
      AND (%(county_fips)s::text[] IS NULL OR p.county_fips = ANY(%(county_fips)s))
      AND (%(category)s::text IS NULL OR %(category)s = ANY(p.category_codes))
      AND (%(stage)s::text IS NULL OR %(stage)s = ANY(p.stage_codes))
    LIMIT %(limit)s
) p
