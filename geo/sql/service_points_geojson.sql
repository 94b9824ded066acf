-- Public service points for a map: never confidential sites, never retired records.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', p.id,
        'properties', json_build_object(
            'id', p.id, 'name', p.name, 'organization', p.organization, 'categories', p.categories,
            'stages', p.stages, 'phone', p.phone, 'city', p.city, 'county_fips', p.county_fips,
            'is_sample', p.is_sample),
        'geometry', ST_AsGeoJSON(p.geom, 6)::json
    )), '[]'::json)
) AS collection
FROM (
    SELECT s.id, s.name, o.name AS organization, s.is_sample, l.geom, l.county_fips, a.city,
           (SELECT array_agg(t.code ORDER BY t.code) FROM attribute at
              JOIN taxonomy_term t ON t.id = at.taxonomy_term_id
             WHERE at.link_entity = 'service' AND at.link_id = s.id) AS categories,
           (SELECT array_agg(ss.stage_code ORDER BY ss.stage_code) FROM service_stage ss
             WHERE ss.service_id = s.id) AS stages,
           (SELECT ph.number FROM phone ph WHERE ph.service_id = s.id ORDER BY ph.id LIMIT 1) AS phone
    FROM service s
    JOIN organization o ON o.id = s.organization_id
    JOIN service_at_location sal ON sal.service_id = s.id
    JOIN location l ON l.id = sal.location_id
    LEFT JOIN LATERAL (SELECT city FROM address WHERE location_id = l.id ORDER BY id LIMIT 1) a ON true
    WHERE s.retired_at IS NULL AND s.status = 'active'
      AND NOT s.confidential AND NOT l.confidential AND l.geom IS NOT NULL
      AND (%(state_fips)s::text IS NULL OR left(l.county_fips, 2) = %(state_fips)s)
      AND (%(county_fips)s::text[] IS NULL OR l.county_fips = ANY(%(county_fips)s))
      AND (%(category)s::text IS NULL OR EXISTS (
            SELECT 1 FROM attribute at JOIN taxonomy_term t ON t.id = at.taxonomy_term_id
            WHERE at.link_entity = 'service' AND at.link_id = s.id AND t.code = %(category)s))
      AND (%(stage)s::text IS NULL OR EXISTS (
            SELECT 1 FROM service_stage ss WHERE ss.service_id = s.id AND ss.stage_code = %(stage)s))
    LIMIT %(limit)s
) p
