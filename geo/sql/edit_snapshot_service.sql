-- One service's editable state as JSON: its columns and the lists an edit replaces as a whole
-- (categories of taxonomy %(taxonomy)s, stages, languages, phones, locations, hours as HSDS rules).
-- The audit trail's before/after and what restore puts back: geo/edits/snapshot.py.
SELECT jsonb_build_object('id', s.id, 'organization_id', s.organization_id, 'name', s.name,
    'alternate_name', s.alternate_name, 'description', s.description, 'url', s.url,
    'email', s.email, 'status', s.status, 'minimum_age', s.minimum_age,
    'maximum_age', s.maximum_age, 'capacity', s.capacity, 'confidential', s.confidential,
    'retired_at', s.retired_at, 'assured_date', s.assured_date, 'assurer_email', s.assurer_email,
    'categories', coalesce((SELECT jsonb_agg(t.code ORDER BY t.code) FROM attribute a
        JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
        WHERE a.link_entity = 'service' AND a.link_id = s.id AND t.taxonomy = %(taxonomy)s), '[]'),
    'stages', coalesce((SELECT jsonb_agg(ss.stage_code ORDER BY ss.stage_code)
        FROM service_stage ss WHERE ss.service_id = s.id), '[]'),
    'languages', coalesce((SELECT jsonb_agg(lg.code ORDER BY lg.code) FROM language lg
        WHERE lg.service_id = s.id AND lg.code IS NOT NULL), '[]'),
    'phones', coalesce((SELECT jsonb_agg(p.number ORDER BY p.number) FROM phone p
        WHERE p.service_id = s.id), '[]'),
    'location_ids', coalesce((SELECT jsonb_agg(sal.location_id ORDER BY sal.location_id)
        FROM service_at_location sal WHERE sal.service_id = s.id), '[]'),
    'hours', coalesce((SELECT jsonb_agg(jsonb_build_object('freq', coalesce(sc.freq, 'WEEKLY'),
            'byday', coalesce(sc.byday, ''), 'bymonthday', sc.bymonthday,
            'opens_at', to_char(sc.opens_at, 'HH24:MI'), 'closes_at', to_char(sc.closes_at, 'HH24:MI'),
            'valid_from', sc.valid_from, 'valid_to', sc.valid_to, 'description', sc.description)
            ORDER BY sc.id)
        FROM schedule sc WHERE sc.service_id = s.id AND sc.opens_at IS NOT NULL), '[]')) AS snap
FROM service s WHERE s.id = %(id)s
