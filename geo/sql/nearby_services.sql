-- Nearest services to a point, as one HSDS Page of JSON built here (one round trip).
--
-- Distances are metres on the ellipsoid (geography, use_spheroid). The geography distance operator
-- `<->`, and the GiST index's order, are on the sphere. From the ellipsoid's radii of curvature,
-- a sphere distance ds and the ellipsoid distance de of the same two points always satisfy
-- ds <= 1.00562 de and de <= 1.00449 ds. So if xs is the (offset + size)-th smallest sphere distance
-- among the matches, the true (offset + size) nearest on the ellipsoid all lie within
-- 1.0105 xs + 1 m on the sphere: only the matches within that bound are measured on the ellipsoid
-- and ranked. Membership of the radius is decided on the sphere except in the ±1 %% band at the
-- radius, where the ellipsoid decides.
--
-- A page costs about what reading its own rows costs, however many services the radius holds, and
-- `total_items` is counted only up to count_limit (the cap, or offset + size when deeper, plus one):
-- exact below it, else count_limit - 1 with `total_items_is_lower_bound` (more match).
--   `box`, `known` (no filter: count_cells): the map's counts of public sites in the cells of a
--      square that lies inside the radius. When they reach count_limit the count is known to be
--      over the cap without reading a row, and the scan below reads only the page (`take`).
--   `near` (when a filter has its own index: by_index): the matches in the radius, read through
--      the category copy's GiST index on (category, geog), or the GIN index on languages or stages
--      together with the GiST index, at most count_limit of them. Fewer than that: they are every
--      match, the count is exact.
--   `scan` (otherwise, or when `near` filled up): the KNN index scan (`ORDER BY geog <-> point`),
--      each row `ok` when it matches and lies in the radius. It stops after `take` rows kept
--      (count_limit matches when it counts, else the page and a small margin), keeping as markers
--      the first rows past the radius (it has then seen every match) and the scan_limit-th row
--      (its bound: a filter rare right here).
--   `wide`, only when what was read cannot give the page: every match within 1.0105 xs + 1 m (the
--      scan stopped before that bound), or in the whole radius (the scan's bound came before enough
--      matches), read by index; it is then every match, counted exactly.
-- When the scan's bound came first but the page is complete (a filter no index serves, such as
-- open_now at night, with enough matches near), counting on would mean reading the whole radius:
-- `total_items` is then one less than the matches seen, flagged as a lower bound. In every case a
-- flagged page means: more than `total_items` services match.
-- `{filters}` is replaced by geo/search.py with the filters asked for, joined by AND (`true` for
-- none), so each combination is its own prepared statement, planned with only its own predicates.
-- `{source}` is the table the matches are read from: service_point, or with a category its copy per
-- category, service_point_category, whose GiST index on (category, geog) reads only that category's
-- services, nearest first or in the radius (the others' filter columns are copied with it).
-- `origin` is the search point as one geography parameter (EWKT, from geo/search.py), not built here
-- from lon and lat: the statement runs with a generic plan, which computes an expression of its
-- parameters afresh on every row that uses it, and a parameter once. lon and lat are still given
-- apart, for the mercator cells of `box`.
-- The JSON is assembled as text: each item is its stored `doc` with distance_m, distance_band and
-- open_now added before its closing brace (none of them is a key of `doc`).
-- Confidential sites are stored at their county's point: their distance is to the county and is
-- shown only as a coarse band, never in metres.
WITH box AS MATERIALIZED (
    -- Without a filter: a square of web-mercator cells around the point that lies inside the radius,
    -- to count services certainly in it from the map's counts (service_map_cell: public sites per
    -- cell, a derived copy in step with the directory). On a sphere of the mercator's own radius a
    -- straight mercator segment of length L is a rhumb line no longer than L cos(phi), phi its
    -- latitude nearest the equator, here at least |lat| - r / M (M = 6,335,439 m, the least
    -- meridional radius of curvature: the square lies within r); the search's sphere is smaller, and
    -- the ellipsoid decides only beyond 0.99 r. So the square's half-side is
    -- h = 0.99 r / (sqrt 2 cos phi), in cells of the coarsest level (7, 9, 11) that fits 3 of them,
    -- and at most 6 of them: a smaller square still lies inside. Mercator x, y as EPSG:3857 has them.
    SELECT l.level, ceil((p.x - least(p.h, 6 * l.cell)) / l.cell)::bigint AS ix0,
           floor((p.x + least(p.h, 6 * l.cell)) / l.cell)::bigint - 1 AS ix1,
           ceil((p.y - least(p.h, 6 * l.cell)) / l.cell)::bigint AS iy0,
           floor((p.y + least(p.h, 6 * l.cell)) / l.cell)::bigint - 1 AS iy1
    FROM (SELECT 6378137 * radians(%(lon)s) AS x, 6378137 * ln(tan(pi() / 4 + radians(%(lat)s) / 2)) AS y,
                 %(radius_m)s * 0.99
                 / (sqrt(2) * cos(radians(greatest(abs(%(lat)s) - degrees(%(radius_m)s / 6335439.0), 0)))) AS h
          WHERE %(count_cells)s AND abs(%(lat)s) < 80) p
    CROSS JOIN LATERAL (SELECT v.level, 40075016.68557849 / 2 ^ v.level / 64 AS cell
                        FROM (VALUES (7), (9), (11)) AS v(level)
                        WHERE p.h >= 3 * 40075016.68557849 / 2 ^ v.level / 64
                        ORDER BY v.level LIMIT 1) l
), known AS MATERIALIZED (  -- services certainly in the radius: when count_limit, the count is known to be over the cap
    SELECT coalesce(sum(c.n), 0) AS n
    FROM box b CROSS JOIN LATERAL generate_series(b.ix0, b.ix1) AS gx(ix)
    CROSS JOIN LATERAL (SELECT sum(m.n) AS n FROM service_map_cell m  -- one index range per column of cells
                        WHERE m.level = b.level AND m.ix = gx.ix AND m.iy BETWEEN b.iy0 AND b.iy1) c
), take AS MATERIALIZED (  -- how many rows the KNN scan keeps: only the page when the count is known
    SELECT k.n >= %(count_limit)s AS over_cap,
           CASE WHEN k.n >= %(count_limit)s THEN %(probe_limit)s ELSE %(scan_take)s END AS n
    FROM known k
), near AS MATERIALIZED (
    SELECT c.id, c.geog, c.ds
    FROM (SELECT sp.id, sp.geog, sp.geog <-> %(origin)s::geography AS ds
          FROM {source} sp
          WHERE %(by_index)s
            AND ST_DWithin(sp.geog, %(origin)s::geography,
                           %(radius_m)s * 1.01, false)
            AND {filters}
          OFFSET 0) c  -- the radius test below stays out of the index scan
    WHERE c.ds <= %(radius_m)s * 0.99
       OR ST_DWithin(c.geog, %(origin)s::geography, %(radius_m)s)
    LIMIT %(count_limit)s
), near_count AS MATERIALIZED (
    SELECT count(*) AS n FROM near
), scan AS MATERIALIZED (
    SELECT s.id, s.geog, s.ds, s.ok, s.rn = %(scan_limit)s AS bounded
    FROM (
        SELECT n.id, n.geog, n.ds,
               n.ok AND (n.ds <= %(radius_m)s * 0.99
                         OR (n.ds <= %(radius_m)s * 1.01
                             AND ST_DWithin(n.geog, %(origin)s::geography,
                                            %(radius_m)s))) AS ok,
               row_number() OVER () AS rn  -- counts the rows as they stream past
        FROM (
            SELECT sp.id, sp.geog, sp.geog <-> %(origin)s::geography AS ds,
                   ({filters}) AS ok
            FROM {source} sp
            WHERE NOT %(by_index)s OR (SELECT n FROM near_count) >= %(count_limit)s
            ORDER BY sp.geog <-> %(origin)s::geography
            LIMIT %(scan_limit)s
        ) n
    ) s
    WHERE s.ok OR s.rn = %(scan_limit)s OR s.ds > %(radius_m)s * 1.01  -- matches, and the markers
    LIMIT (SELECT n FROM take)
), pool AS MATERIALIZED (  -- the matches in hand (every match in the radius, or its nearest in index order)
    SELECT id, geog, ds FROM near WHERE (SELECT n FROM near_count) < %(count_limit)s
    UNION ALL
    SELECT id, geog, ds FROM scan WHERE ok
), state AS MATERIALIZED (
    SELECT f.*,
           f.every OR (f.pool_n >= %(offset)s + %(size)s AND f.seen > f.xs * 1.0105 + 1) AS complete
    FROM (
        SELECT p.pool_n, p.xs, s.seen,
               (%(by_index)s AND nc.n < %(count_limit)s)
               OR (s.rows > 0 AND (s.seen > %(radius_m)s * 1.01  -- past the radius, or out of rows
                                   OR (s.rows < t.n AND NOT s.bounded))) AS every,
               CASE WHEN %(by_index)s THEN nc.n >= %(count_limit)s
                    ELSE s.matches >= %(count_limit)s OR t.over_cap END AS over_cap
        FROM near_count nc, take t,
             (SELECT count(*) AS rows, count(*) FILTER (WHERE ok) AS matches, max(ds) AS seen,
                     coalesce(bool_or(bounded), false) AS bounded FROM scan) s,
             (SELECT count(*) AS pool_n,
                     coalesce((SELECT ds FROM pool ORDER BY ds OFFSET %(offset)s + %(size)s - 1 LIMIT 1), max(ds)) AS xs
              FROM pool) p
    ) f
), wide AS MATERIALIZED (
    SELECT c.id, c.geog, c.ds
    FROM (SELECT sp.id, sp.geog, sp.geog <-> %(origin)s::geography AS ds
          FROM {source} sp
          WHERE NOT (SELECT complete FROM state)
            AND ST_DWithin(sp.geog, %(origin)s::geography,
                           (SELECT CASE WHEN NOT (every OR over_cap) OR pool_n < %(offset)s + %(size)s
                                        THEN %(radius_m)s * 1.01
                                        ELSE least(xs * 1.0105 + 1, %(radius_m)s * 1.01) END FROM state), false)
            AND {filters}
          OFFSET 0) c
    WHERE c.ds <= %(radius_m)s * 0.99
       OR ST_DWithin(c.geog, %(origin)s::geography, %(radius_m)s)
), final AS MATERIALIZED (  -- wide when it was read, else the pool
    SELECT id, geog, ds FROM wide
    UNION ALL
    SELECT id, geog, ds FROM pool WHERE (SELECT complete FROM state)
), ranked AS MATERIALIZED (
    SELECT f.id, ST_Distance(f.geog, %(origin)s::geography) AS d
    FROM final f
    WHERE f.ds <= coalesce((SELECT ds FROM final ORDER BY ds OFFSET %(offset)s + %(size)s - 1 LIMIT 1),
                           (SELECT max(ds) FROM final)) * 1.0105 + 1
    ORDER BY d, id
    LIMIT %(size)s OFFSET %(offset)s
), page_total AS MATERIALIZED (
    SELECT CASE WHEN s.over_cap THEN %(count_limit)s - 1
                WHEN s.stopped THEN s.pool_n - 1
                ELSE least((SELECT count(*) FROM final), %(count_limit)s - 1) END AS n,
           s.over_cap OR s.stopped OR (SELECT count(*) FROM final) >= %(count_limit)s AS lower_bound
    FROM (SELECT *, complete AND NOT (every OR over_cap) AS stopped FROM state) s
), contents AS (
    SELECT coalesce('[' || string_agg(
        left(sp.doc::text, -1)
        || ', "distance_m": ' || CASE WHEN sp.confidential THEN 'null' ELSE round(r.d::numeric)::text END
        || ', "distance_band": ' || CASE WHEN NOT sp.confidential THEN 'null'
                                         WHEN r.d <= 10000 THEN '"within 10 km (county-level)"'
                                         WHEN r.d <= 25000 THEN '"within 25 km (county-level)"'
                                         WHEN r.d <= 50000 THEN '"within 50 km (county-level)"'
                                         WHEN r.d <= 100000 THEN '"within 100 km (county-level)"'
                                         ELSE '"more than 100 km (county-level)"' END
        || ', "open_now": ' || CASE WHEN sp.open_week IS NULL AND NOT sp.open_dated THEN 'null'
                                    WHEN coalesce(sp.open_week @> local_week_second(%(at)s, sp.tz_name), false)
                                         OR (sp.open_dated AND schedule_open_at(sp.service_id, sp.id, %(at)s))
                                    THEN 'true' ELSE 'false' END
        || '}', ', ' ORDER BY r.d, r.id) || ']', '[]') AS items,
        count(*) AS n
    FROM ranked r JOIN service_point sp ON sp.id = r.id
)
SELECT left(json_build_object(
    'total_items', t.n,
    'total_items_is_lower_bound', t.lower_bound,
    'total_pages', ceil(t.n::numeric / %(size)s)::int,
    'page_number', %(page)s::int,
    'size', c.n,
    'first_page', %(page)s::int = 1,
    'last_page', NOT t.lower_bound AND %(page)s::int >= ceil(t.n::numeric / %(size)s),
    'empty', c.n = 0
)::text, -1) || ', "contents" : ' || c.items || '}' AS page,
    %(category)s::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM taxonomy_term WHERE code = %(category)s::text)
        AS unknown_category,
    %(stage)s::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM landscape_stage WHERE code = %(stage)s::text)
        AS unknown_stage
FROM page_total t, contents c
