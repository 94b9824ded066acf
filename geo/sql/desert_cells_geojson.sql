-- A run's cells for one category over some counties, as GeoJSON. `value` is the asked measure
-- (the column is chosen from a fixed list by the caller). No service point is ever part of this.
-- `uncovered_population` (0 where covered) and `run_id` are what the map layers colour and show.
-- Returned as json; the API's reader casts it to text, ready to send: the database builds it once.
-- A run that measured this category from the exact point of a site that is now confidential
-- (view desert_withheld) gives no features: its run summary says why (`withheld`) and that it is
-- stale. The check is in this statement, so it sees exactly what the cells are read with.
WITH withheld AS (
    SELECT EXISTS (SELECT 1 FROM desert_withheld w
                   WHERE w.run_id = %(run_id)s AND w.category = %(category)s) AS yes
)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'run', (%(run)s::jsonb || CASE WHEN (SELECT yes FROM withheld)
                                   THEN jsonb_build_object('stale', true, 'withheld', %(withheld_reason)s::text)
                                   ELSE jsonb_build_object('withheld', NULL) END)::json,
    'measure', %(measure)s::text,
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', c.h3,
        'properties', json_build_object(
            'h3', c.h3, 'run_id', c.run_id, 'county_fips', c.county_fips,
            'population', round(c.population::numeric, 2),
            'uncovered_population', CASE WHEN c.covered THEN 0 ELSE round(c.population::numeric, 2) END,
            'urban', c.urban, 'distance_m', round(c.distance_m::numeric, 1),
            'threshold_m', c.threshold_m, 'covered', c.covered,
            'access_2sfca', c.access_2sfca, 'access_e2sfca', c.access_e2sfca,
            'value', {measure}),
        'geometry', ST_AsGeoJSON(c.geom, 6)::json
    ) ORDER BY c.h3), '[]'::json)
) AS collection
FROM desert_cell c
WHERE c.run_id = %(run_id)s AND c.category = %(category)s AND c.stage IS NOT DISTINCT FROM %(stage)s
  AND c.county_fips = ANY(%(counties)s)
  AND NOT (SELECT yes FROM withheld)
