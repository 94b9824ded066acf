-- service_point_refresh(service_ids): the search table's rows for these services (NULL: all),
-- rebuilt from the directory tables. Called only by directory_sync() (directory_copies.sql), in the
-- transaction that changed the services; installed by `atlas db migrate` (CREATE OR REPLACE).
--
-- One row per active service at a placed location. Confidential sites get their county's
-- representative point and no address, so nothing built on this table can locate them. The old rows
-- are deleted first (DELETE, not TRUNCATE: readers never wait and a rollback restores them).
--
-- Set-based: each detail table is read once and grouped by service (or location), then hash-joined,
-- instead of one index probe per service per table (~1 M probes for 100,000 services). When services
-- are listed, every grouped subquery is restricted to them by its service_id (or location_id) index,
-- so a one-service refresh after an edit stays a handful of index lookups. The query is run by
-- EXECUTE … USING, planned for the actual list: with NULL the `$1 IS NULL` tests fold away and each
-- table is one sequential scan.
CREATE OR REPLACE FUNCTION service_point_refresh(service_ids text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF service_ids IS NULL THEN
        DELETE FROM service_point;
    ELSE
        DELETE FROM service_point WHERE service_id = ANY(service_ids);
    END IF;
    EXECUTE $q$
    WITH counties AS (
        -- Each county once, with its court region (a circuit before a division): 3,230 rows, not a
        -- lookup per service.
        SELECT DISTINCT ON (c.code) c.code AS fips, c.name, c.geom, g.kind AS court_kind, g.code AS court_code,
               g.name AS court_name
        FROM region c
        LEFT JOIN region_member m ON m.member_id = c.id
        LEFT JOIN region g ON g.id = m.region_id AND g.kind IN ('circuit', 'division')
        WHERE c.kind = 'county'
          AND ($1::text[] IS NULL
               OR c.code = ANY(ARRAY(SELECT l.county_fips::text
                                     FROM service_at_location x JOIN location l ON l.id = x.location_id
                                     WHERE x.service_id = ANY($1::text[]))))
        ORDER BY c.code, g.kind NULLS LAST, g.code
    ), sch AS (
        -- Opening rules by service and by service at a location (sal_id NULL: the service's own).
        -- A site with rules of its own uses those; every other site, the service's (HSDS hangs
        -- a schedule off a service, a service at a location or a location).
        SELECT service_id, service_at_location_id AS sal_id,
               jsonb_agg(jsonb_build_object('byday', byday, 'opens_at', opens_at, 'closes_at', closes_at,
                                            'tz_name', tz_name, 'freq', freq, 'bymonthday', bymonthday,
                                            'valid_from', valid_from, 'valid_to', valid_to,
                                            'description', description)
                         ORDER BY id) AS list,
               min(tz_name) AS tz_name,
               -- Rules open_week cannot hold (they depend on the date): open-now asks schedule_open_at.
               bool_or(opens_at IS NOT NULL AND (coalesce(freq, 'WEEKLY') <> 'WEEKLY'
                                                 OR valid_from IS NOT NULL OR valid_to IS NOT NULL)) AS open_dated
        FROM schedule
        WHERE service_id IS NOT NULL
          AND ($1::text[] IS NULL OR service_id = ANY($1::text[]))
        GROUP BY service_id, service_at_location_id
    ), wk AS (
        -- Each all-year weekly opening as [start, end) seconds since Monday 00:00; past midnight wraps round.
        SELECT span.service_id, span.sal_id, range_agg(r) AS open_week
        FROM (
            SELECT sc.service_id, sc.sal_id, sc.opens_s, sc.closes_s, d.idx * 86400 AS day_s,
                   ((d.idx + 1) % 7) * 86400 AS next_day_s
            FROM (SELECT service_id, service_at_location_id AS sal_id, byday, extract(epoch FROM opens_at)::int AS opens_s,
                         CASE WHEN closes_at >= time '23:59' THEN 86400
                              ELSE extract(epoch FROM closes_at)::int END AS closes_s
                  FROM schedule
                  WHERE service_id IS NOT NULL
                    AND ($1::text[] IS NULL OR service_id = ANY($1::text[]))
                    AND coalesce(freq, 'WEEKLY') = 'WEEKLY' AND opens_at IS NOT NULL
                    AND valid_from IS NULL AND valid_to IS NULL
                    AND closes_at IS NOT NULL AND tz_name IS NOT NULL) sc
            CROSS JOIN LATERAL (  -- the row's own days, not a table lookup
                SELECT array_position(ARRAY['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'], upper(trim(day))) - 1 AS idx
                FROM unnest(string_to_array(sc.byday, ',')) AS day
            ) d
            WHERE d.idx IS NOT NULL
        ) span
        CROSS JOIN LATERAL unnest(CASE
            WHEN closes_s > opens_s THEN ARRAY[int4range(day_s + opens_s, day_s + closes_s)]
            WHEN closes_s > 0 THEN ARRAY[int4range(day_s + opens_s, day_s + 86400),
                                         int4range(next_day_s, next_day_s + closes_s)]
            ELSE ARRAY[int4range(day_s + opens_s, day_s + 86400)] END) AS r
        GROUP BY span.service_id, span.sal_id
    ), rows AS (
        SELECT sal.id, s.id AS service_id, l.id AS location_id, o.id AS organization_id,
               (s.confidential OR l.confidential) AS confidential,
               CASE WHEN s.confidential OR l.confidential THEN ST_PointOnSurface(cc.geom) ELSE l.geom END AS point,
               s.name, s.description, s.url, s.email, s.fees_description, s.eligibility_description,
               s.minimum_age, s.maximum_age, s.application_process, s.is_sample, s.assured_date,
               o.name AS organization_name, l.geom, a.address, a.postal_code, cc.fips, cc.name AS county_name,
               cc.court_kind, cc.court_code, cc.court_name,
               cat.codes AS category_codes, cat.terms, st.codes AS stage_codes, lang.codes AS language_codes,
               lang.list AS language_list, cost.options AS cost_codes, cost.list AS cost_list,
               ph.list AS phone_list, ph.list -> 0 ->> 'number' AS first_number,  -- phones are ordered by id
               CASE WHEN sch_site.service_id IS NULL THEN sch_all.list ELSE sch_site.list END AS schedule_list,
               CASE WHEN sch_site.service_id IS NULL THEN sch_all.tz_name ELSE sch_site.tz_name END AS tz_name,
               CASE WHEN sch_site.service_id IS NULL THEN wk_all.open_week ELSE wk_site.open_week END AS open_week,
               CASE WHEN sch_site.service_id IS NULL THEN sch_all.open_dated ELSE sch_site.open_dated END
                   AS open_dated
        FROM service_at_location sal
        JOIN service s ON s.id = sal.service_id
        JOIN organization o ON o.id = s.organization_id
        JOIN location l ON l.id = sal.location_id
        LEFT JOIN counties cc ON cc.fips = l.county_fips
        LEFT JOIN (
            -- The location's physical address, else its first other one.
            SELECT DISTINCT ON (ad.location_id) ad.location_id,
                   jsonb_build_object('address_1', ad.address_1, 'address_2', ad.address_2, 'city', ad.city,
                                      'state_province', ad.state_province, 'postal_code', ad.postal_code)
                       AS address,
                   ad.postal_code
            FROM address ad
            WHERE $1::text[] IS NULL
               OR ad.location_id = ANY(ARRAY(SELECT x.location_id FROM service_at_location x
                                             WHERE x.service_id = ANY($1::text[])))
            ORDER BY ad.location_id, (ad.address_type = 'physical') DESC, ad.id
        ) a ON a.location_id = l.id
        LEFT JOIN (
            SELECT at.link_id AS service_id, array_agg(t.code ORDER BY t.code) AS codes,
                   jsonb_agg(jsonb_build_object('code', t.code, 'name', t.name, 'name_es', t.name_es)
                             ORDER BY t.code) AS terms
            FROM attribute at JOIN taxonomy_term t ON t.id = at.taxonomy_term_id
            WHERE at.link_entity = 'service'
              AND ($1::text[] IS NULL OR at.link_id = ANY($1::text[]))
            GROUP BY at.link_id
        ) cat ON cat.service_id = s.id
        LEFT JOIN (
            SELECT ss.service_id, array_agg(ss.stage_code ORDER BY ls.position) AS codes
            FROM service_stage ss JOIN landscape_stage ls ON ls.code = ss.stage_code
            WHERE $1::text[] IS NULL OR ss.service_id = ANY($1::text[])
            GROUP BY ss.service_id
        ) st ON st.service_id = s.id
        LEFT JOIN (
            SELECT service_id, array_agg(DISTINCT lower(code)) FILTER (WHERE code IS NOT NULL) AS codes,
                   jsonb_agg(jsonb_build_object('code', code, 'name', name) ORDER BY code, name) AS list
            FROM language
            WHERE service_id IS NOT NULL
              AND ($1::text[] IS NULL OR service_id = ANY($1::text[]))
            GROUP BY service_id
        ) lang ON lang.service_id = s.id
        LEFT JOIN (
            SELECT service_id, array_agg(DISTINCT lower(option)) FILTER (WHERE option IS NOT NULL) AS options,
                   jsonb_agg(jsonb_build_object('option', option, 'amount', amount, 'currency', currency,
                                                'amount_description', amount_description)
                             ORDER BY option, id) AS list
            FROM cost_option
            WHERE $1::text[] IS NULL OR service_id = ANY($1::text[])
            GROUP BY service_id
        ) cost ON cost.service_id = s.id
        LEFT JOIN (
            SELECT service_id,
                   jsonb_agg(jsonb_build_object('number', number, 'extension', extension, 'type', type,
                                                'description', description) ORDER BY id) AS list
            FROM phone
            WHERE service_id IS NOT NULL
              AND ($1::text[] IS NULL OR service_id = ANY($1::text[]))
            GROUP BY service_id
        ) ph ON ph.service_id = s.id
        LEFT JOIN sch sch_site ON sch_site.service_id = s.id AND sch_site.sal_id = sal.id
        LEFT JOIN sch sch_all ON sch_all.service_id = s.id AND sch_all.sal_id IS NULL
        LEFT JOIN wk wk_site ON wk_site.service_id = s.id AND wk_site.sal_id = sal.id
        LEFT JOIN wk wk_all ON wk_all.service_id = s.id AND wk_all.sal_id IS NULL
        WHERE s.retired_at IS NULL AND s.status = 'active' AND sal.retired_at IS NULL
          AND l.retired_at IS NULL AND l.geom IS NOT NULL
          AND ($1::text[] IS NULL OR sal.service_id = ANY($1::text[]))
    )
    INSERT INTO service_point (id, service_id, location_id, organization_id, geog, confidential, categories,
                               stages, languages, costs, minimum_age, maximum_age, county_fips, postal_code,
                               tz_name, open_week, open_dated, doc)
    SELECT r.id, r.service_id, r.location_id, r.organization_id, r.point::geography, r.confidential,
           coalesce(r.category_codes, '{}'), coalesce(r.stage_codes, '{}'), coalesce(r.language_codes, '{}'),
           coalesce(r.cost_codes, '{}'), r.minimum_age, r.maximum_age, r.fips,
           CASE WHEN r.confidential THEN NULL ELSE r.postal_code END, r.tz_name, r.open_week,
           coalesce(r.open_dated, false),
           jsonb_build_object(
               'id', r.id,
               'service_id', r.service_id,
               'name', r.name,
               'organization', jsonb_build_object('id', r.organization_id, 'name', r.organization_name),
               'description', r.description,
               'url', r.url,
               'email', r.email,
               'categories', coalesce(r.terms, '[]'),
               'stages', coalesce(to_jsonb(r.stage_codes), '[]'),
               'phones', coalesce(r.phone_list, '[]'),
               'hours', coalesce(r.schedule_list, '[]'),
               'languages', coalesce(r.language_list, '[]'),
               'cost_options', coalesce(r.cost_list, '[]'),
               'fees_description', r.fees_description,
               'eligibility', jsonb_build_object('description', r.eligibility_description,
                                                 'minimum_age', r.minimum_age,
                                                 'maximum_age', r.maximum_age),
               'how_to_get_help', coalesce(r.application_process,
                                           CASE WHEN r.first_number IS NOT NULL THEN 'Call ' || r.first_number END),
               'county', CASE WHEN r.fips IS NOT NULL THEN jsonb_build_object('fips', r.fips, 'name', r.county_name) END,
               'court', CASE WHEN r.court_code IS NOT NULL THEN
                            jsonb_build_object('kind', r.court_kind, 'code', r.court_code, 'name', r.court_name) END,
               'confidential', r.confidential,
               'location', CASE WHEN NOT r.confidential THEN jsonb_build_object(
                               'latitude', round(ST_Y(r.geom)::numeric, 6),
                               'longitude', round(ST_X(r.geom)::numeric, 6),
                               'address', r.address) END,
               'is_sample', r.is_sample,
               -- When the listing was last confirmed (HSDS assured_date), not when its row last changed.
               'assured_date', r.assured_date
           )
    FROM rows r
    WHERE r.point IS NOT NULL
    ORDER BY ST_GeoHash(r.point, 7);  -- neighbours share heap pages: a radius search reads few of them
    $q$ USING service_ids;
END
$fn$;

-- service_point_category_refresh(service_ids): the category copy of these services' search rows
-- (NULL: all), from service_point as service_point_refresh just left it. One row per search row and
-- category, with the point and the columns the other filters test, so a category search reads its
-- own index (category, geog) and nothing else until the page is known (geo/sql/nearby_services.sql).
-- Rows are written in category and geohash order: one category's neighbours share heap pages.
CREATE OR REPLACE FUNCTION service_point_category_refresh(service_ids text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF service_ids IS NULL THEN
        DELETE FROM service_point_category;
    ELSE
        DELETE FROM service_point_category WHERE service_id = ANY(service_ids);
    END IF;
    INSERT INTO service_point_category (category, id, service_id, geog, stages, languages, costs, minimum_age,
                                        maximum_age, tz_name, open_week, open_dated)
    SELECT c.code, sp.id, sp.service_id, sp.geog, sp.stages, sp.languages, sp.costs, sp.minimum_age,
           sp.maximum_age, sp.tz_name, sp.open_week, sp.open_dated
    FROM service_point sp CROSS JOIN LATERAL unnest(sp.categories) AS c(code)
    WHERE service_ids IS NULL OR sp.service_id = ANY(service_ids)
    ORDER BY c.code, ST_GeoHash(sp.geog::geometry, 7);
END
$fn$;
