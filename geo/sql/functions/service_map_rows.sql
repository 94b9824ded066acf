-- The map's copy of the directory, derived from the search rows (service_point) so the two can
-- never disagree on who is public: service_map_point holds the public sites only (never a
-- confidential service or location; service_point already leaves out retired and inactive ones),
-- with what a popup shows and the point in web mercator for tiles. Maintained by
-- service_map_refresh() in directory_copies.sql.

-- The map rows of these services (NULL: all), in service_map_point's column order.
CREATE OR REPLACE FUNCTION service_map_rows(service_ids text[]) RETURNS SETOF service_map_point
LANGUAGE sql STABLE AS $fn$
    SELECT p.service_id, p.location_id, p.name, p.organization, p.is_sample, p.county_fips,
           p.category_codes, array_to_string(p.category_codes, ','), p.stage_codes,
           array_to_string(p.stage_codes, ','), p.phone, p.city, p.geom,
           ST_X(ST_Transform(p.geom, 3857)), ST_Y(ST_Transform(p.geom, 3857)),
           -- The point as a GeoJSON Feature, ready to be joined into a layer's FeatureCollection.
           json_build_object(
               'type', 'Feature', 'id', p.service_id,
               'properties', json_build_object(
                   'id', p.service_id, 'name', p.name, 'organization', p.organization,
                   'categories', p.category_codes, 'stages', p.stage_codes, 'phone', p.phone,
                   'city', p.city, 'county_fips', p.county_fips, 'is_sample', p.is_sample,
                   'assured_date', p.assured_date),
               'geometry', ST_AsGeoJSON(p.geom, 5)::json)::text
    FROM (
        SELECT sp.service_id, sp.location_id, sp.doc ->> 'name' AS name,
               sp.doc -> 'organization' ->> 'name' AS organization,
               coalesce((sp.doc ->> 'is_sample')::boolean, false) AS is_sample, sp.county_fips,
               sp.categories AS category_codes, sp.stages AS stage_codes,
               sp.doc -> 'phones' -> 0 ->> 'number' AS phone,
               sp.doc -> 'location' -> 'address' ->> 'city' AS city,
               sp.geog::geometry AS geom, sp.doc ->> 'assured_date' AS assured_date
        FROM service_point sp
        WHERE NOT sp.confidential
          AND (service_ids IS NULL OR sp.service_id = ANY(service_ids))
    ) p
    WHERE abs(ST_Y(p.geom)) < 85.05  -- web mercator ends there
$fn$;

-- The low-zoom count cells a mercator point falls in: one per level 7, 9 and 11, each 1/64 of a
-- tile of that zoom (about 306 m at the equator at level 11).
CREATE OR REPLACE FUNCTION service_map_cells(x double precision, y double precision)
RETURNS TABLE (level integer, ix bigint, iy bigint, cx double precision, cy double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT lvl, floor(x / (40075016.68557849 / 2 ^ lvl / 64))::bigint,
           floor(y / (40075016.68557849 / 2 ^ lvl / 64))::bigint, x, y
    FROM (VALUES (7), (9), (11)) AS levels(lvl)
$fn$;
