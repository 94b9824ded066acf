-- The version of everything one desert tile reads (geo/deserts/tile_cache.py): the database, every
-- desert run row, the withheld (run, category) pairs, and each surface block the tile's envelope
-- (with its 1/64 buffer) meets with the measure rows of the runs on it (of the category asked, or
-- all), each row named by its key and its row version (xmin: a write of any column, by any
-- transaction, makes a new one; a committed version never changes). NULL when this transaction
-- has written anything (its own uncommitted rows could change again under the same xmin): such a
-- reader never uses the cache. Read by tile_desert_cells.sql in the same statement as the cells.
SELECT CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN md5(concat_ws('|',
    current_database(), inet_server_addr()::text, inet_server_port()::text,
    (SELECT string_agg(r.id || ':' || r.xmin::text, ',' ORDER BY r.id) FROM desert_run r),
    (SELECT string_agg(w.run_id || ':' || w.category, ',' ORDER BY w.run_id, w.category) FROM desert_withheld w),
    (SELECT string_agg(b.surface_id || ':' || b.county_fips || ':' || b.xmin::text || '(' || coalesce(ms.rows, '') || ')',
                       ',' ORDER BY b.surface_id, b.county_fips)
     FROM desert_surface_block b
     LEFT JOIN LATERAL (
         SELECT string_agg(m.run_id || ':' || m.category || ':' || coalesce(m.stage, '') || ':' || m.xmin::text, ','
                           ORDER BY m.run_id, m.category, m.stage) AS rows
         FROM desert_run r JOIN desert_measure m ON m.run_id = r.id AND m.county_fips = b.county_fips
         WHERE r.surface_id = b.surface_id AND (%(category)s::text IS NULL OR m.category = %(category)s)
     ) ms ON true
     WHERE b.bbox && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625), 4326))
)) END AS version
