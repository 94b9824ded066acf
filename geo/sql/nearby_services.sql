-- Nearest services to a point, as one HSDS Page of JSON built here (one round trip).
--
-- Distances are metres on the ellipsoid (geography, use_spheroid). The geography KNN operator `<->`
-- ranks on the sphere, which can differ from the ellipsoid by a few tenths of a percent, so:
--   1. `knn` takes the first (offset + size) matches by `<->` from the GiST index, filters applied
--      to the same rows (service_point is denormalised: no joins);
--   2. every match within the largest ellipsoidal distance among those (plus a metre) is re-ranked by
--      ST_Distance (ellipsoid), which is exact: the true first (offset + size) all lie inside it.
-- Confidential sites are stored at their county's point: their distance is to the county and is
-- shown only as a coarse band, never in metres.
WITH knn AS (
    SELECT ST_Distance(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
    FROM service_point sp
    WHERE ST_DWithin(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius_m)s)
      AND (%(category)s::text IS NULL OR sp.categories @> ARRAY[%(category)s::text])
      AND (%(stage)s::text IS NULL OR sp.stages @> ARRAY[%(stage)s::text])
      AND (%(language)s::text IS NULL OR sp.languages @> ARRAY[%(language)s::text])
      AND (%(cost)s::text IS NULL OR sp.costs @> ARRAY[%(cost)s::text])
      AND (%(age)s::numeric IS NULL OR ((sp.minimum_age IS NULL OR sp.minimum_age <= %(age)s)
                                        AND (sp.maximum_age IS NULL OR sp.maximum_age >= %(age)s)))
      AND (NOT %(open_now)s OR sp.open_week @> local_week_second(%(at)s, sp.tz_name))
    ORDER BY sp.geog <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography
    LIMIT %(offset)s + %(size)s
), ranked AS (
    SELECT sp.id, sp.doc, sp.confidential, sp.tz_name, sp.open_week,
           ST_Distance(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
    FROM service_point sp
    WHERE ST_DWithin(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography,
                     (SELECT max(d) * 1.0001 + 1 FROM knn))  -- slack: DWithin and Distance round differently
      AND ST_DWithin(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius_m)s)
      AND (%(category)s::text IS NULL OR sp.categories @> ARRAY[%(category)s::text])
      AND (%(stage)s::text IS NULL OR sp.stages @> ARRAY[%(stage)s::text])
      AND (%(language)s::text IS NULL OR sp.languages @> ARRAY[%(language)s::text])
      AND (%(cost)s::text IS NULL OR sp.costs @> ARRAY[%(cost)s::text])
      AND (%(age)s::numeric IS NULL OR ((sp.minimum_age IS NULL OR sp.minimum_age <= %(age)s)
                                        AND (sp.maximum_age IS NULL OR sp.maximum_age >= %(age)s)))
      AND (NOT %(open_now)s OR sp.open_week @> local_week_second(%(at)s, sp.tz_name))
    ORDER BY d, sp.id
    LIMIT %(size)s OFFSET %(offset)s
), total AS (
    SELECT count(*) AS n
    FROM service_point sp
    WHERE ST_DWithin(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius_m)s)
      AND (%(category)s::text IS NULL OR sp.categories @> ARRAY[%(category)s::text])
      AND (%(stage)s::text IS NULL OR sp.stages @> ARRAY[%(stage)s::text])
      AND (%(language)s::text IS NULL OR sp.languages @> ARRAY[%(language)s::text])
      AND (%(cost)s::text IS NULL OR sp.costs @> ARRAY[%(cost)s::text])
      AND (%(age)s::numeric IS NULL OR ((sp.minimum_age IS NULL OR sp.minimum_age <= %(age)s)
                                        AND (sp.maximum_age IS NULL OR sp.maximum_age >= %(age)s)))
      AND (NOT %(open_now)s OR sp.open_week @> local_week_second(%(at)s, sp.tz_name))
), contents AS (
    SELECT coalesce(jsonb_agg(
        r.doc || jsonb_build_object(
            'distance_m', CASE WHEN r.confidential THEN NULL ELSE round(r.d::numeric) END,
            'distance_band', CASE WHEN NOT r.confidential THEN NULL
                                  WHEN r.d <= 10000 THEN 'within 10 km (county-level)'
                                  WHEN r.d <= 25000 THEN 'within 25 km (county-level)'
                                  WHEN r.d <= 50000 THEN 'within 50 km (county-level)'
                                  WHEN r.d <= 100000 THEN 'within 100 km (county-level)'
                                  ELSE 'more than 100 km (county-level)' END,
            'open_now', CASE WHEN r.open_week IS NULL THEN NULL
                             ELSE r.open_week @> local_week_second(%(at)s, r.tz_name) END)
        ORDER BY r.d, r.id), '[]'::jsonb) AS items,
        count(*) AS n
    FROM ranked r
)
SELECT json_build_object(
    'total_items', t.n,
    'total_pages', ceil(t.n::numeric / %(size)s)::int,
    'page_number', %(page)s::int,
    'size', c.n,
    'first_page', %(page)s::int = 1,
    'last_page', %(page)s::int >= ceil(t.n::numeric / %(size)s),
    'empty', c.n = 0,
    'contents', c.items
)::text AS page,
    NOT EXISTS (SELECT 1 FROM taxonomy_term WHERE code = %(category)s::text) AND %(category)s::text IS NOT NULL
        AS unknown_category,
    NOT EXISTS (SELECT 1 FROM landscape_stage WHERE code = %(stage)s::text) AND %(stage)s::text IS NOT NULL
        AS unknown_stage
FROM total t, contents c
