-- HSDS 3 services, one Page: active, unretired services, by name. Confidential services are listed
-- (name, phone, how to apply) like any other; locations are not part of this list.
-- Each item's fields, phones and attributes are written as in hsds_service.sql: change both.
-- As HSDS 3.0's schema allows no nulls, a value we lack is left out (json_strip_nulls); a phone
-- extension is a number there, so one that is not digits is left out too.
WITH matches AS (
    SELECT s.* FROM service s
    WHERE s.retired_at IS NULL
      AND (%(search)s::text IS NULL OR s.name ILIKE '%%' || %(search)s || '%%'
           OR s.description ILIKE '%%' || %(search)s || '%%')
      AND (%(organization_id)s::text IS NULL OR s.organization_id = %(organization_id)s)
      AND (%(taxonomy_term_id)s::text IS NULL OR EXISTS (
            SELECT 1 FROM attribute a WHERE a.link_entity = 'service' AND a.link_id = s.id
              AND a.taxonomy_term_id = %(taxonomy_term_id)s))
), page AS (
    SELECT * FROM matches ORDER BY name, id LIMIT %(size)s OFFSET %(offset)s
), contents AS (
    SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
        'id', p.id, 'organization_id', p.organization_id, 'program_id', p.program_id, 'name', p.name,
        'alternate_name', p.alternate_name, 'description', p.description, 'url', p.url, 'email', p.email,
        'status', p.status, 'interpretation_services', p.interpretation_services,
        'application_process', p.application_process, 'fees_description', p.fees_description,
        'wait_time', p.wait_time, 'accreditations', p.accreditations,
        'eligibility_description', p.eligibility_description, 'minimum_age', p.minimum_age,
        'maximum_age', p.maximum_age, 'assured_date', p.assured_date, 'alert', p.alert,
        'phones', (SELECT coalesce(json_agg(json_build_object('id', ph.id, 'service_id', ph.service_id,
                        'number', ph.number,
                        'extension', CASE WHEN ph.extension ~ '^[0-9]{1,15}$' THEN ph.extension::numeric END,
                        'type', ph.type, 'description', ph.description)
                        ORDER BY ph.id), '[]') FROM phone ph WHERE ph.service_id = p.id),
        'attributes', (SELECT coalesce(json_agg(json_build_object('id', a.id, 'link_id', a.link_id,
                        'link_type', a.link_type, 'link_entity', a.link_entity,
                        'taxonomy_term_id', a.taxonomy_term_id,
                        'taxonomy_term', json_build_object('id', t.id, 'code', t.code, 'name', t.name,
                                                           'description', coalesce(t.description, t.name),
                                                           'taxonomy', t.taxonomy, 'taxonomy_id', t.taxonomy_id))
                        ORDER BY t.code), '[]')
                       FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
                       WHERE a.link_entity = 'service' AND a.link_id = p.id)
    )) ORDER BY p.name, p.id), '[]') AS items, count(*) AS n
    FROM page p
)
SELECT (SELECT count(*) FROM matches) AS total, c.n, c.items::text AS items FROM contents c
