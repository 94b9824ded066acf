-- Service points of the given categories near a region, for the desert measures: active, not
-- retired, placed. Confidential sites (service or location) are counted, but their point never
-- leaves the database: it is replaced here by a point that hides it among at least
-- N residents (`min_residents`; geo/deserts/privacy.py): the centre of the smallest square of a fixed
-- quadtree in CONUS Albers (EPSG:5070; sides of `base_square_m` × 2^level) around it whose
-- residents (the `zone_*` arrays, counted from the run's surface) reach that number, or the
-- PointOnSurface of its county when the county holds fewer people than that square (or no square
-- qualifies); a site with neither counts at the centre of its largest square.
-- Each row names its service and location and whether it was generalised: a run records the
-- sites it used at their exact point (desert_run_site), and is withheld from every output if one
-- of them becomes confidential later (view desert_withheld, migration 0013).
WITH box AS (
    SELECT ST_Expand(ST_Envelope(ST_Collect(geom)), %(margin_deg)s) AS geom
    FROM region WHERE kind = 'county' AND code = ANY(%(counties)s)
),
placed AS (
    SELECT s.id AS service_id, l.id AS location_id, l.county_fips, l.geom,
           (s.confidential OR l.confidential) AS confidential, s.capacity,
           count(*) OVER (PARTITION BY s.id) AS locations
    FROM service s
    JOIN service_at_location sal ON sal.service_id = s.id
    JOIN location l ON l.id = sal.location_id
    WHERE s.retired_at IS NULL AND s.status = 'active' AND l.retired_at IS NULL
      AND l.geom IS NOT NULL
)
SELECT p.service_id, p.location_id, p.county_fips, t.code AS category, p.confidential, p.capacity, p.locations,
       coalesce((SELECT array_agg(ss.stage_code ORDER BY ss.stage_code) FROM service_stage ss
                 WHERE ss.service_id = p.service_id), '{}') AS stages,
       ST_X(shown.geom) AS lon, ST_Y(shown.geom) AS lat
FROM placed p
JOIN attribute a ON a.link_entity = 'service' AND a.link_id = p.service_id
JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
CROSS JOIN box
LEFT JOIN region c ON p.confidential AND c.kind = 'county' AND c.code = p.county_fips
LEFT JOIN LATERAL (SELECT ST_Transform(p.geom, 5070) AS geom WHERE p.confidential) a5070 ON true
LEFT JOIN LATERAL (
    SELECT z.level, z.ix, z.iy, z.people
    FROM unnest(%(zone_level)s::int[], %(zone_ix)s::int8[], %(zone_iy)s::int8[], %(zone_people)s::float8[])
         AS z(level, ix, iy, people)
    WHERE z.people >= %(min_residents)s
      AND z.ix = floor(ST_X(a5070.geom) / (%(base_square_m)s * 2 ^ z.level))::int8
      AND z.iy = floor(ST_Y(a5070.geom) / (%(base_square_m)s * 2 ^ z.level))::int8
    ORDER BY z.level LIMIT 1
) sq ON true
CROSS JOIN LATERAL (SELECT CASE WHEN sq.level IS NOT NULL THEN sq.level ELSE %(top_level)s END AS level) lv
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN NOT p.confidential THEN p.geom
        WHEN c.geom IS NOT NULL AND (sq.level IS NULL OR coalesce(c.population, 0) < sq.people)
            THEN ST_PointOnSurface(c.geom)
        ELSE ST_Transform(ST_SetSRID(ST_MakePoint(
                 (floor(ST_X(a5070.geom) / (%(base_square_m)s * 2 ^ lv.level)) + 0.5) * %(base_square_m)s * 2 ^ lv.level,
                 (floor(ST_Y(a5070.geom) / (%(base_square_m)s * 2 ^ lv.level)) + 0.5) * %(base_square_m)s * 2 ^ lv.level),
                 5070), 4326)
    END AS geom
) shown
WHERE p.geom && box.geom
  AND (%(categories)s::text[] IS NULL OR t.code = ANY(%(categories)s))
ORDER BY p.service_id, p.location_id, t.code
