-- Desert rollups per region (county, circuit or division) in a scope, latest finished run each,
-- drawn on the region's (simplified) shape. Runs withheld for the category (a site they measured
-- from at its exact point is now confidential: view desert_withheld) are passed over.
WITH s AS (SELECT id, kind, code FROM region WHERE kind = %(scope_kind)s AND code = %(scope_code)s),
latest AS (
    SELECT DISTINCT ON (u.region_kind, u.region_code)
           u.region_kind, u.region_code, u.category, u.stage, u.population, u.population_uncovered,
           u.share_uncovered, u.mean_distance_m, u.mean_2sfca, u.rank, r.id AS run_id
    FROM desert_rollup u
    JOIN desert_run r ON r.id = u.run_id
    WHERE r.finished_at IS NOT NULL AND u.region_kind = %(region_kind)s
      AND NOT EXISTS (SELECT 1 FROM desert_withheld w WHERE w.run_id = u.run_id AND w.category = u.category)
      AND (%(category)s::text IS NULL OR u.category = %(category)s)
      AND (CASE WHEN %(stage)s::text IS NULL THEN coalesce(u.stage, '') IN ('', 'all')
                ELSE u.stage = %(stage)s END)
    ORDER BY u.region_kind, u.region_code, r.finished_at DESC, r.id DESC
)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', g.code,
        'properties', json_build_object(
            'kind', g.kind, 'code', g.code, 'name', g.name, 'category', l.category, 'stage', l.stage,
            'run_id', l.run_id, 'population', l.population,
            'population_uncovered', l.population_uncovered, 'share_uncovered', l.share_uncovered,
            'mean_distance_m', round(l.mean_distance_m::numeric, 0), 'mean_2sfca', l.mean_2sfca,
            'rank', l.rank),
        'geometry', ST_AsGeoJSON(
            CASE WHEN %(tolerance_deg)s > 0 THEN ST_SimplifyPreserveTopology(g.geom, %(tolerance_deg)s)
                 ELSE g.geom END, 6)::json
    ) ORDER BY g.code), '[]'::json)
) AS collection
FROM latest l
JOIN region g ON g.kind = l.region_kind AND g.code = l.region_code
CROSS JOIN s
WHERE g.id = s.id
   OR g.id IN (SELECT member_id FROM region_member WHERE region_id = s.id)
   OR g.id IN (SELECT region_id FROM region_member WHERE member_id = s.id)
   OR (s.kind = 'state' AND g.state_fips = s.code)
