-- `atlas import --retire-missing`: the source's services the file no longer lists leave the map
-- (retired, not deleted: their history stays, and a later file that lists them again brings them
-- back). import_hash is what the source last said of a row; NULL now, so the row's return is a
-- change. import_run_id names this run, so nearby search refreshes them with the rest.
UPDATE service
SET retired_at = now(), updated_at = now(), import_hash = NULL, import_run_id = %(run_id)s
WHERE source = %(source)s AND retired_at IS NULL AND source_id IS NOT NULL
  AND NOT (source_id = ANY(%(listed)s::text[]))
RETURNING id
