-- Desert cells inside a scope region: for each H3 cell the latest finished run's values.
-- A NULL stage asks for the all-stages run (stored as NULL, '' or 'all').
WITH s AS (SELECT geom FROM region WHERE kind = %(scope_kind)s AND code = %(scope_code)s),
latest AS (
    SELECT DISTINCT ON (c.h3)
           c.h3, c.geom, c.population, c.urban, c.distance_m, c.threshold_m, c.covered,
           c.access_2sfca, c.access_e2sfca, c.category, c.stage, r.id AS run_id
    FROM desert_cell c
    JOIN desert_run r ON r.id = c.run_id
    CROSS JOIN s
    WHERE r.finished_at IS NOT NULL
      AND (%(category)s::text IS NULL OR c.category = %(category)s)
      AND (CASE WHEN %(stage)s::text IS NULL THEN coalesce(c.stage, '') IN ('', 'all')
                ELSE c.stage = %(stage)s END)
      AND c.geom && s.geom AND ST_Intersects(c.geom, s.geom)
    ORDER BY c.h3, r.finished_at DESC, r.id DESC
    LIMIT %(limit)s
)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', l.h3,
        'properties', json_build_object(
            'h3', l.h3, 'category', l.category, 'stage', l.stage, 'run_id', l.run_id,
            'population', l.population, 'urban', l.urban, 'covered', l.covered,
            'uncovered_population', CASE WHEN l.covered THEN 0 ELSE l.population END,
            'distance_m', round(l.distance_m::numeric, 0), 'threshold_m', l.threshold_m,
            'access_2sfca', l.access_2sfca, 'access_e2sfca', l.access_e2sfca),
        'geometry', ST_AsGeoJSON(l.geom, 5)::json
    ) ORDER BY l.h3), '[]'::json)
) AS collection
FROM latest l
