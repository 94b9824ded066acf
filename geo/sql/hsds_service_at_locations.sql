-- HSDS 3 service_at_locations, one Page, from the search table: by postcode and/or proximity
-- (nearest first, metres on the ellipsoid), else by id. Confidential sites have no postcode there
-- and are shown with no location details and no distance.
WITH matches AS (
    SELECT sp.id, sp.service_id, sp.location_id, sp.confidential, sp.doc,
           CASE WHEN %(lat)s::float8 IS NULL THEN NULL
                ELSE ST_Distance(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) END AS d
    FROM service_point sp
    WHERE (%(postcode)s::text IS NULL OR sp.postal_code = %(postcode)s)
      AND (%(lat)s::float8 IS NULL OR ST_DWithin(
            sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius_m)s))
), page AS (
    SELECT * FROM matches ORDER BY d NULLS LAST, id LIMIT %(size)s OFFSET %(offset)s
), contents AS (
    SELECT coalesce(json_agg(json_build_object(
        'id', p.id, 'service_id', p.service_id, 'location_id', p.location_id,
        'service', json_build_object('id', p.service_id, 'name', p.doc->>'name',
                                     'organization_id', p.doc->'organization'->>'id'),
        'location', CASE WHEN p.confidential THEN
                         json_build_object('id', p.location_id, 'confidential', true, 'latitude', NULL,
                                           'longitude', NULL, 'addresses', '[]'::json)
                    ELSE json_build_object('id', p.location_id, 'confidential', false,
                                           'latitude', p.doc->'location'->'latitude',
                                           'longitude', p.doc->'location'->'longitude',
                                           'addresses', json_build_array(p.doc->'location'->'address')) END,
        'phones', p.doc->'phones',
        'distance_m', CASE WHEN p.confidential OR p.d IS NULL THEN NULL ELSE round(p.d::numeric) END
    ) ORDER BY p.d NULLS LAST, p.id), '[]') AS items, count(*) AS n
    FROM page p
)
SELECT (SELECT count(*) FROM matches) AS total, c.n, c.items::text AS items FROM contents c
