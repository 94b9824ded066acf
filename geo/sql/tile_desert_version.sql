-- The version of everything one desert tile reads (geo/deserts/tile_cache.py), as tile_desert_cells.sql
-- reads it, so that a tile is built again exactly when its content could differ:
--   1. the resolution of the newest usable run of the category and stage (it picks the hexagons'
--      size, and the cells' margin around the tile);
--   2. the runs whose surface blocks meet the tile's envelope (with its 1/64 buffer), in the order
--      that decides which run a cell is read from (newest first), each with what filters it (its
--      resolution, stage, categories, finished or not) but not its row version: an incremental
--      recompute after an edit rewrites its run's row everywhere, yet changes a tile only through
--      the measure rows it rewrites (4) or a new order among the runs the tile meets;
--   3. the withheld (run, category) pairs, everywhere (the one input that follows directory
--      writes: a site made confidential or public again changes it in the writing transaction);
--   4. each surface block meeting the envelope, with the measure rows of its runs (of the category
--      asked, or all), each row named by its key and its row version (xmin: a write of any
--      column, by any transaction, makes a new one; a committed version never changes).
-- So an edit in one county leaves the cached tiles of counties its recompute did not reach. Each
-- part is '' when empty, so the parts always stand in their places.
-- NULL when this transaction has written anything (its own uncommitted rows could change again
-- under the same xmin): such a reader never uses the cache. Read by tile_desert_cells.sql in the
-- same statement as the cells, which also takes `resolution` (1) from here.
WITH withheld AS MATERIALIZED (  -- a view over directory tables: read once, used twice
    SELECT run_id, category FROM desert_withheld
),
newest AS (  -- the newest usable run of the category and stage: its resolution is the cells'
    SELECT r.resolution FROM desert_run r
    WHERE r.finished_at IS NOT NULL
      AND (%(category)s::text IS NULL OR r.parameters->'categories' ? %(category)s::text)
      AND (CASE WHEN %(stage)s::text IS NULL THEN coalesce(r.stage, '') IN ('', 'all')
                ELSE r.stage = %(stage)s END)
      AND NOT EXISTS (SELECT 1 FROM withheld w WHERE w.run_id = r.id
                                                 AND w.category = coalesce(%(category)s, w.category))
    ORDER BY r.finished_at DESC, r.id DESC
    LIMIT 1
)
SELECT CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN md5(concat_ws('|',
    current_database(), inet_server_addr()::text, inet_server_port()::text,
    coalesce((SELECT resolution FROM newest)::text, ''),
    coalesce((SELECT string_agg(r.id || ':' || r.resolution || ':' || coalesce(r.stage, '') || ':'
                       || coalesce(r.parameters->>'categories', '') || ':' || (r.finished_at IS NOT NULL)::text,
                       ',' ORDER BY r.finished_at DESC NULLS LAST, r.id DESC)
     FROM desert_run r
     WHERE EXISTS (SELECT 1 FROM desert_surface_block b
                   WHERE b.surface_id = r.surface_id
                     AND b.bbox && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625), 4326))), ''),
    coalesce((SELECT string_agg(w.run_id || ':' || w.category, ',' ORDER BY w.run_id, w.category)
              FROM withheld w), ''),
    coalesce((SELECT string_agg(b.surface_id || ':' || b.county_fips || ':' || b.xmin::text || '(' || coalesce(ms.rows, '') || ')',
                       ',' ORDER BY b.surface_id, b.county_fips)
     FROM desert_surface_block b
     LEFT JOIN LATERAL (
         SELECT string_agg(m.run_id || ':' || m.category || ':' || coalesce(m.stage, '') || ':' || m.xmin::text, ','
                           ORDER BY m.run_id, m.category, m.stage) AS rows
         FROM desert_run r JOIN desert_measure m ON m.run_id = r.id AND m.county_fips = b.county_fips
         WHERE r.surface_id = b.surface_id AND (%(category)s::text IS NULL OR m.category = %(category)s)
     ) ms ON true
     WHERE b.bbox && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625), 4326)), '')
)) END AS version,
       (SELECT resolution FROM newest) AS resolution
