-- One HSDS 3 service in full. Its confidential locations carry no point, no coordinates and no
-- address: only that the service is offered at a confidential site.
-- The service's own fields, phones and attributes are written as in hsds_services.sql: change both.
-- As HSDS 3.0's schema allows no nulls, a value we lack is left out (json_strip_nulls); required
-- text we lack (an organization's description) is an empty string, a term's description its name.
SELECT json_strip_nulls(json_build_object(
    'id', s.id, 'organization_id', s.organization_id, 'program_id', s.program_id, 'name', s.name,
    'alternate_name', s.alternate_name, 'description', s.description, 'url', s.url, 'email', s.email,
    'status', s.status, 'interpretation_services', s.interpretation_services,
    'application_process', s.application_process, 'fees_description', s.fees_description,
    'wait_time', s.wait_time, 'accreditations', s.accreditations,
    'eligibility_description', s.eligibility_description, 'minimum_age', s.minimum_age,
    'maximum_age', s.maximum_age, 'assured_date', s.assured_date, 'alert', s.alert,
    'organization', (SELECT json_build_object('id', o.id, 'name', o.name, 'description', coalesce(o.description, ''),
                                              'website', o.website, 'email', o.email)
                     FROM organization o WHERE o.id = s.organization_id),
    'phones', (SELECT coalesce(json_agg(json_build_object('id', ph.id, 'service_id', ph.service_id,
                    'number', ph.number,
                    'extension', CASE WHEN ph.extension ~ '^[0-9]{1,15}$' THEN ph.extension::numeric END,
                    'type', ph.type, 'description', ph.description)
                    ORDER BY ph.id), '[]') FROM phone ph WHERE ph.service_id = s.id),
    'schedules', (SELECT coalesce(json_agg(json_build_object('id', sc.id, 'service_id', sc.service_id,
                    'service_at_location_id', sc.service_at_location_id,  -- a site's own hours
                    'freq', sc.freq, 'byday', sc.byday,
                    'bymonthday', sc.bymonthday, 'opens_at', sc.opens_at, 'closes_at', sc.closes_at, 'timezone', sc.timezone,
                    'tz_name', sc.tz_name, 'valid_from', sc.valid_from, 'valid_to', sc.valid_to,
                    'description', sc.description) ORDER BY sc.id), '[]')
                  FROM schedule sc WHERE sc.service_id = s.id),
    'languages', (SELECT coalesce(json_agg(json_build_object('id', l.id, 'service_id', l.service_id,
                    'name', l.name, 'code', l.code, 'note', l.note) ORDER BY l.code, l.id), '[]')
                  FROM language l WHERE l.service_id = s.id),
    'cost_options', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'service_id', c.service_id,
                    'option', c.option, 'amount', c.amount, 'currency', c.currency,
                    'amount_description', c.amount_description,
                    'valid_from', c.valid_from, 'valid_to', c.valid_to) ORDER BY c.id), '[]')
                     FROM cost_option c WHERE c.service_id = s.id),
    'attributes', (SELECT coalesce(json_agg(json_build_object('id', a.id, 'link_id', a.link_id,
                    'link_type', a.link_type, 'link_entity', a.link_entity, 'taxonomy_term_id', a.taxonomy_term_id,
                    'taxonomy_term', json_build_object('id', t.id, 'code', t.code, 'name', t.name,
                                                       'description', coalesce(t.description, t.name),
                                                       'taxonomy', t.taxonomy, 'taxonomy_id', t.taxonomy_id))
                    ORDER BY t.code), '[]')
                   FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
                   WHERE a.link_entity = 'service' AND a.link_id = s.id),
    'service_at_locations', (SELECT coalesce(json_agg(json_build_object(
                    'id', sal.id, 'service_id', sal.service_id, 'location_id', sal.location_id,
                    'description', sal.description,
                    'location', CASE WHEN s.confidential OR loc.confidential THEN
                                     json_build_object('id', loc.id, 'location_type', loc.location_type,
                                                       'confidential', true, 'addresses', '[]'::json)
                                ELSE json_build_object('id', loc.id, 'location_type', loc.location_type,
                                     'name', loc.name, 'confidential', false,
                                     'latitude', round(ST_Y(loc.geom)::numeric, 6),
                                     'longitude', round(ST_X(loc.geom)::numeric, 6),
                                     'addresses', (SELECT coalesce(json_agg(json_build_object('id', ad.id,
                                         'location_id', ad.location_id,
                                         'address_1', ad.address_1, 'address_2', ad.address_2, 'city', ad.city,
                                         'region', ad.region, 'state_province', ad.state_province,
                                         'postal_code', ad.postal_code, 'country', ad.country,
                                         'address_type', ad.address_type) ORDER BY ad.id), '[]')
                                                   FROM address ad WHERE ad.location_id = loc.id)) END)
                    ORDER BY sal.id), '[]')
                  FROM service_at_location sal JOIN location loc ON loc.id = sal.location_id
                  WHERE sal.service_id = s.id AND sal.retired_at IS NULL)
))::text AS service
FROM service s
WHERE s.id = %(id)s AND s.retired_at IS NULL
