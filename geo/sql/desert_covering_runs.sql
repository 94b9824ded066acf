-- Finished desert runs that cover every county of the asked region and have the asked category
-- (and stage choice, and resolution when given), newest first. `withheld`: the run measured this
-- category from the exact point of a site that is now confidential (view desert_withheld,
-- migration 0013); its cells must not be served until it is recomputed. The cells query checks
-- it again in its own statement, so a change committed in between is honoured too.
SELECT id, region_kind, region_code, category, stage, resolution, parameters - 'counties' AS parameters,
       data_version, started_at, finished_at, cells,
       EXISTS (SELECT 1 FROM desert_withheld w WHERE w.run_id = desert_run.id
                                                 AND w.category = %(category)s) AS withheld
FROM desert_run
WHERE status = 'done'
  AND (parameters->'counties') @> %(counties)s::jsonb
  AND (parameters->'categories') ? %(category)s
  AND stage IS NOT DISTINCT FROM %(stage)s
  AND (%(resolution)s::int IS NULL OR resolution = %(resolution)s)
ORDER BY finished_at DESC, id DESC
LIMIT 10
