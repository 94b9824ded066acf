-- A run's cells for one category over some counties: the run summary, then each cell's H3 index
-- (64-bit, ascending) and its feature properties as JSON. `value` is the asked measure (the column
-- is chosen from a fixed list by the caller). The cells are the run's surface blocks of those
-- counties unnested beside the category's measure arrays (migration 0017); the polygon of each
-- cell is drawn from its H3 index by the caller (geo/deserts/draw.py), never stored. No service
-- point is ever part of this.
-- `uncovered_population` (0 where covered) and `run_id` are what the map layers colour and show.
-- A run that measured this category from the exact point of a site that is now confidential
-- (view desert_withheld) gives no cells: its run summary says why (`withheld`) and that it is
-- stale. The check is in this statement, so it sees exactly what the cells are read with.
WITH withheld AS (
    SELECT EXISTS (SELECT 1 FROM desert_withheld w
                   WHERE w.run_id = %(run_id)s AND w.category = %(category)s) AS yes
),
c AS (
    SELECT m.run_id, m.county_fips, u.h3, u.population, u.urban,
           nullif(u.distance, 'Infinity') AS distance_m, t.threshold_m, u.distance <= t.threshold_m AS covered,
           u.access_2sfca, u.access_e2sfca
    FROM desert_measure m
    JOIN desert_run r ON r.id = m.run_id
    JOIN desert_surface_block b ON b.surface_id = r.surface_id AND b.county_fips = m.county_fips
    CROSS JOIN LATERAL unnest(b.h3, b.population, b.urban, m.distance_m, m.access_2sfca, m.access_e2sfca)
        AS u(h3, population, urban, distance, access_2sfca, access_e2sfca)
    CROSS JOIN LATERAL (SELECT CASE WHEN u.urban THEN m.urban_threshold_m ELSE m.rural_threshold_m END
                               AS threshold_m) t
    WHERE m.run_id = %(run_id)s AND m.category = %(category)s AND m.stage IS NOT DISTINCT FROM %(stage)s
      AND m.county_fips = ANY(%(counties)s)
      AND NOT (SELECT yes FROM withheld)
)
SELECT (%(run)s::jsonb || CASE WHEN (SELECT yes FROM withheld)
                               THEN jsonb_build_object('stale', true, 'withheld', %(withheld_reason)s::text)
                               ELSE jsonb_build_object('withheld', NULL) END)::text AS run,
       coalesce(array_agg(c.h3 ORDER BY c.h3), ARRAY[]::bigint[]) AS h3,
       coalesce(array_agg(json_build_object(
           'h3', to_hex(c.h3), 'run_id', c.run_id, 'county_fips', c.county_fips,
           'population', round(c.population::numeric, 2),
           'uncovered_population', CASE WHEN c.covered THEN 0 ELSE round(c.population::numeric, 2) END,
           'urban', c.urban, 'distance_m', round(c.distance_m::numeric, 1),
           'threshold_m', c.threshold_m, 'covered', c.covered,
           'access_2sfca', c.access_2sfca, 'access_e2sfca', c.access_e2sfca,
           'value', {measure})::text ORDER BY c.h3), ARRAY[]::text[]) AS properties
FROM c
