-- HSDS 3 service_at_locations, one Page, from the search table: by postcode and/or proximity
-- (nearest first, metres on the ellipsoid), else by id. Confidential sites have no postcode there
-- and are shown with no location details and no distance. The page's rows are then written from
-- the directory tables, as in hsds_service.sql; a value we lack is left out (json_strip_nulls).
WITH matches AS (
    SELECT sp.id, sp.service_id, sp.location_id, sp.confidential,
           CASE WHEN %(lat)s::float8 IS NULL THEN NULL
                ELSE ST_Distance(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) END AS d
    FROM service_point sp
    WHERE (%(postcode)s::text IS NULL OR sp.postal_code = %(postcode)s)
      AND (%(lat)s::float8 IS NULL OR ST_DWithin(
            sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius_m)s))
), page AS (
    SELECT * FROM matches ORDER BY d NULLS LAST, id LIMIT %(size)s OFFSET %(offset)s
), contents AS (
    SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
        'id', p.id, 'service_id', p.service_id, 'location_id', p.location_id,
        'service', json_build_object('id', s.id, 'name', s.name, 'status', s.status,
                                     'organization_id', s.organization_id),
        'location', CASE WHEN p.confidential THEN
                         json_build_object('id', loc.id, 'location_type', loc.location_type, 'confidential', true,
                                           'addresses', '[]'::json)
                    ELSE json_build_object('id', loc.id, 'location_type', loc.location_type, 'name', loc.name,
                                           'confidential', false,
                                           'latitude', round(ST_Y(loc.geom)::numeric, 6),
                                           'longitude', round(ST_X(loc.geom)::numeric, 6),
                                           'addresses', (SELECT coalesce(json_agg(json_build_object('id', ad.id,
                                               'location_id', ad.location_id,
                                               'address_1', ad.address_1, 'address_2', ad.address_2,
                                               'city', ad.city, 'region', ad.region,
                                               'state_province', ad.state_province, 'postal_code', ad.postal_code,
                                               'country', ad.country, 'address_type', ad.address_type)
                                               ORDER BY ad.id), '[]')
                                                         FROM address ad WHERE ad.location_id = loc.id)) END,
        'phones', (SELECT coalesce(json_agg(json_build_object('id', ph.id, 'service_id', ph.service_id,
                        'number', ph.number,
                        'extension', CASE WHEN ph.extension ~ '^[0-9]{1,15}$' THEN ph.extension::numeric END,
                        'type', ph.type, 'description', ph.description)
                        ORDER BY ph.id), '[]') FROM phone ph WHERE ph.service_id = p.service_id),
        'distance_m', CASE WHEN p.confidential OR p.d IS NULL THEN NULL ELSE round(p.d::numeric) END
    )) ORDER BY p.d NULLS LAST, p.id), '[]') AS items, count(*) AS n
    FROM page p JOIN service s ON s.id = p.service_id JOIN location loc ON loc.id = p.location_id
)
SELECT (SELECT count(*) FROM matches) AS total, c.n, c.items::text AS items FROM contents c
