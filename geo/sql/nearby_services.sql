-- Nearest services to a point, as one HSDS Page of JSON built here (one round trip).
--
-- Distances are metres on the ellipsoid (geography, use_spheroid). The geography distance operator
-- `<->` is on the sphere, which differs from the ellipsoid by at most ~0.6 %%, so:
--   1. `candidates`: one GiST scan for the matches (filters read from the same denormalised rows,
--      no joins) within the radius plus 1 %% on the sphere, a superset of those within it on the
--      ellipsoid, each with its cheap sphere distance `ds`;
--   2. `knn`: the first (offset + size) candidates by `<->`, and the largest ellipsoidal distance
--      among them, X;
--   3. `ranked`: every candidate within X (on the ellipsoid, and within the radius) re-ranked by
--      ST_Distance on the ellipsoid. Exact: the true first (offset + size) all lie within X.
-- `total` counts on the sphere and pays for the ellipsoid only in the ±1 %% band at the radius.
-- Confidential sites are stored at their county's point: their distance is to the county and is
-- shown only as a coarse band, never in metres.
WITH candidates AS MATERIALIZED (
    SELECT sp.id, sp.geog, sp.geog <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS ds
    FROM service_point sp
    WHERE ST_DWithin(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography,
                     %(radius_m)s * 1.01, false)
      AND (%(category)s::text IS NULL OR sp.categories @> ARRAY[%(category)s::text])
      AND (%(stage)s::text IS NULL OR sp.stages @> ARRAY[%(stage)s::text])
      AND (%(language)s::text IS NULL OR sp.languages @> ARRAY[%(language)s::text])
      AND (%(cost)s::text IS NULL OR sp.costs @> ARRAY[%(cost)s::text])
      AND (%(age)s::numeric IS NULL OR ((sp.minimum_age IS NULL OR sp.minimum_age <= %(age)s)
                                        AND (sp.maximum_age IS NULL OR sp.maximum_age >= %(age)s)))
      AND (NOT %(open_now)s OR sp.open_week @> local_week_second(%(at)s, sp.tz_name)
           OR (sp.open_dated AND schedule_open_at(sp.service_id, %(at)s)))
), knn AS (
    SELECT ST_Distance(c.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
    FROM candidates c
    ORDER BY c.ds
    LIMIT %(offset)s + %(size)s
), bound AS (
    SELECT max(d) * 1.0001 + 1 AS x FROM knn  -- slack: the re-rank below re-checks exactly
), ranked AS (
    SELECT e.id, e.d
    FROM (SELECT c.id, ST_Distance(c.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
          FROM candidates c
          WHERE c.ds <= (SELECT x FROM bound) * 1.01  -- the sphere test first: the ellipsoid for few
          OFFSET 0) e
    WHERE e.d <= (SELECT x FROM bound) AND e.d <= %(radius_m)s
    ORDER BY e.d, e.id
    LIMIT %(size)s OFFSET %(offset)s
), total AS (
    SELECT count(*) AS n
    FROM candidates c
    WHERE c.ds <= %(radius_m)s * 0.99
       OR ST_DWithin(c.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius_m)s)
), contents AS (
    SELECT coalesce(jsonb_agg(
        sp.doc || jsonb_build_object(
            'distance_m', CASE WHEN sp.confidential THEN NULL ELSE round(r.d::numeric) END,
            'distance_band', CASE WHEN NOT sp.confidential THEN NULL
                                  WHEN r.d <= 10000 THEN 'within 10 km (county-level)'
                                  WHEN r.d <= 25000 THEN 'within 25 km (county-level)'
                                  WHEN r.d <= 50000 THEN 'within 50 km (county-level)'
                                  WHEN r.d <= 100000 THEN 'within 100 km (county-level)'
                                  ELSE 'more than 100 km (county-level)' END,
            'open_now', CASE WHEN sp.open_week IS NULL AND NOT sp.open_dated THEN NULL
                             ELSE coalesce(sp.open_week @> local_week_second(%(at)s, sp.tz_name), false)
                                  OR (sp.open_dated AND schedule_open_at(sp.service_id, %(at)s)) END)
        ORDER BY r.d, r.id), '[]'::jsonb) AS items,
        count(*) AS n
    FROM ranked r JOIN service_point sp ON sp.id = r.id
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
