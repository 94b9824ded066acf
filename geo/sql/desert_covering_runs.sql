-- Finished desert runs that cover every county of the asked region and have the asked category
-- (and stage choice, and resolution when given), newest first.
SELECT id, region_kind, region_code, category, stage, resolution, parameters - 'counties' AS parameters,
       data_version, started_at, finished_at, cells
FROM desert_run
WHERE status = 'done'
  AND (parameters->'counties') @> %(counties)s::jsonb
  AND (parameters->'categories') ? %(category)s
  AND stage IS NOT DISTINCT FROM %(stage)s
  AND (%(resolution)s::int IS NULL OR resolution = %(resolution)s)
ORDER BY finished_at DESC, id DESC
LIMIT 10
