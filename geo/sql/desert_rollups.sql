-- Rollups from the newest finished run for each region/category/stage, re-ranked over the rows
-- returned (rank 1 = the largest share of people beyond the threshold). A run is passed over for
-- a category it measured from the exact point of a site that is now confidential (view
-- desert_withheld, migration 0013) until it is recomputed.
WITH latest AS (
    SELECT DISTINCT ON (r.region_kind, r.region_code, r.category, r.stage)
           r.*, run.resolution, run.finished_at, run.data_version
    FROM desert_rollup r
    JOIN desert_run run ON run.id = r.run_id AND run.status = 'done'
    WHERE (%(kind)s::text IS NULL OR r.region_kind = %(kind)s)
      AND (%(code)s::text IS NULL OR r.region_code = %(code)s)
      AND (%(category)s::text IS NULL OR r.category = %(category)s)
      AND (%(all_stages)s OR r.stage IS NOT DISTINCT FROM %(stage)s)
      AND (%(resolution)s::int IS NULL OR run.resolution = %(resolution)s)
      AND NOT EXISTS (SELECT 1 FROM desert_withheld w WHERE w.run_id = r.run_id AND w.category = r.category)
    ORDER BY r.region_kind, r.region_code, r.category, r.stage, run.finished_at DESC, run.id DESC
)
SELECT l.region_kind, l.region_code, coalesce(g.name, l.region_name) AS region_name, g.state_fips,
       l.category, l.stage, l.population, l.population_uncovered, l.share_uncovered,
       l.mean_distance_m, l.mean_2sfca, l.services, l.resolution, l.run_id, l.finished_at, l.data_version,
       rank() OVER (PARTITION BY l.region_kind, l.category, l.stage
                    ORDER BY l.share_uncovered DESC NULLS LAST, l.population_uncovered DESC) AS rank
FROM latest l
LEFT JOIN region g ON g.kind = l.region_kind AND g.code = l.region_code
WHERE (%(state_fips)s::text IS NULL OR g.state_fips = %(state_fips)s)
ORDER BY l.category, l.stage NULLS FIRST, rank, l.region_code
