-- How every derived copy of the directory stays in step with it: the search rows (service_point)
-- and their copy per category (service_point_category), the map points (service_map_point) and the
-- low-zoom tile counts (service_map_cell).
--
-- The rule: a copy is rewritten in the transaction that changed the directory, before that
-- transaction commits, whoever wrote the change (the importer, the editing API, restore, the sample
-- loader, or raw SQL in psql). Other sessions therefore see the old directory with the old copies,
-- or the new directory with the new copies, never a mix: a site made confidential leaves the map at
-- the instant its change commits, and no reader can mark a copy current while a change is pending.
--
-- The method:
--   1. directory_changed(), a statement trigger with transition tables on each directory table,
--      turns the rows a statement touched into the services they belong to (a location's services,
--      an organization's services, …) and notes them in directory_pending for this transaction.
--      A change to a shared vocabulary (taxonomy terms, stages, counties and court regions, which
--      every row's text carries) notes '*': all services.
--   2. The first note of a transaction also inserts its row in directory_sync_due, whose deferred
--      constraint trigger runs directory_sync() once, at COMMIT.
--   3. directory_sync() takes this transaction's notes and rebuilds the copies of those services
--      (directory_copies_refresh). Writers that want the copies earlier (an import reporting
--      progress, a reader in the same transaction) call it themselves; at COMMIT it then has
--      nothing left to do.
-- Both bookkeeping tables are UNLOGGED (no WAL): their rows never outlive the transaction that wrote
-- them, so losing them in a crash loses nothing.
--
-- Two writers of one service rebuild its copies one after the other: the rebuild first locks the
-- services' rows (FOR NO KEY UPDATE, in id order), so the second waits for the first to commit and
-- then reads the directory as the first left it (each statement here takes a fresh snapshot).

-- Over this many services one rebuild of every copy (a scan of each table) beats a list of them.
CREATE OR REPLACE FUNCTION directory_full_rebuild_over() RETURNS integer
LANGUAGE sql IMMUTABLE AS $fn$ SELECT 20000 $fn$;

-- A writer about to write more services than that notes all of them at once, so the triggers of
-- its statements skip their bookkeeping; true when it did.
CREATE OR REPLACE FUNCTION directory_note_bulk(services integer) RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
    IF services > directory_full_rebuild_over() THEN
        PERFORM directory_note(ARRAY['*']);
        RETURN true;
    END IF;
    RETURN false;
END
$fn$;

CREATE OR REPLACE FUNCTION directory_note(service_ids text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF service_ids IS NULL OR cardinality(service_ids) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO directory_pending (txid, service_id)
    SELECT pg_current_xact_id(), id FROM unnest(service_ids) AS id WHERE id IS NOT NULL
    ON CONFLICT DO NOTHING;
    INSERT INTO directory_sync_due (txid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
END
$fn$;

-- The statement trigger on every directory table: which services did this statement touch?
-- Transition tables are named new_rows and old_rows on every table (an INSERT trigger has only
-- new_rows, a DELETE trigger only old_rows); they are visible only here, not in functions this
-- one calls.
CREATE OR REPLACE FUNCTION directory_changed() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    services_of text := CASE TG_TABLE_NAME
        WHEN 'service' THEN 'SELECT array_agg(DISTINCT r.id) FROM %1$I r'
        WHEN 'attribute' THEN
            'SELECT array_agg(DISTINCT r.link_id) FROM %1$I r WHERE r.link_entity = ''service'''
        WHEN 'organization' THEN
            'SELECT array_agg(DISTINCT s.id) FROM %1$I r JOIN service s ON s.organization_id = r.id'
        WHEN 'location' THEN
            'SELECT array_agg(DISTINCT x.service_id) FROM %1$I r JOIN service_at_location x ON x.location_id = r.id'
        WHEN 'address' THEN
            'SELECT array_agg(DISTINCT x.service_id) FROM %1$I r
             JOIN service_at_location x ON x.location_id = r.location_id'
        WHEN 'region' THEN  -- a county's name or shape, or a court region's name: in every row's text
            'SELECT CASE WHEN bool_or(r.kind IN (''county'', ''circuit'', ''division'')) THEN ARRAY[''*''] END
             FROM %1$I r'
        ELSE 'SELECT array_agg(DISTINCT r.service_id) FROM %1$I r'  -- the tables with a service_id
        END;
    ids text[];
    more text[];
BEGIN
    IF TG_OP = 'TRUNCATE' OR TG_TABLE_NAME IN ('taxonomy_term', 'landscape_stage', 'region_member') THEN
        PERFORM directory_note(ARRAY['*']);
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM directory_pending WHERE txid = pg_current_xact_id() AND service_id = '*') THEN
        RETURN NULL;  -- every service is due already
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format(services_of, 'new_rows') INTO ids;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format(services_of, 'old_rows') INTO more;
        ids := ids || more;
    END IF;
    PERFORM directory_note(ids);
    RETURN NULL;
END
$fn$;

-- The map copies of these services (NULL: all), from their search rows: public sites only.
CREATE OR REPLACE FUNCTION service_map_refresh(service_ids text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF service_ids IS NULL THEN
        DELETE FROM service_map_point;
        DELETE FROM service_map_cell;
        INSERT INTO service_map_point SELECT * FROM service_map_rows(NULL);
        INSERT INTO service_map_cell (level, ix, iy, n, sum_x, sum_y)
        SELECT c.level, c.ix, c.iy, count(*), sum(c.cx), sum(c.cy)
        FROM service_map_point p CROSS JOIN LATERAL service_map_cells(p.x3857, p.y3857) c
        GROUP BY 1, 2, 3;
        RETURN;
    END IF;
    -- Counts move by the points that left and the points that came, cell by cell (in key order, so
    -- two writers touching the same cells never wait for each other in a circle).
    WITH gone AS (
        DELETE FROM service_map_point WHERE service_id = ANY(service_ids) RETURNING x3857, y3857
    )
    INSERT INTO service_map_cell AS m (level, ix, iy, n, sum_x, sum_y)
    SELECT c.level, c.ix, c.iy, -count(*), -sum(c.cx), -sum(c.cy)
    FROM gone g CROSS JOIN LATERAL service_map_cells(g.x3857, g.y3857) c
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (level, ix, iy) DO UPDATE
        SET n = m.n + excluded.n, sum_x = m.sum_x + excluded.sum_x, sum_y = m.sum_y + excluded.sum_y;
    WITH came AS (
        INSERT INTO service_map_point SELECT * FROM service_map_rows(service_ids) RETURNING x3857, y3857
    )
    INSERT INTO service_map_cell AS m (level, ix, iy, n, sum_x, sum_y)
    SELECT c.level, c.ix, c.iy, count(*), sum(c.cx), sum(c.cy)
    FROM came g CROSS JOIN LATERAL service_map_cells(g.x3857, g.y3857) c
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (level, ix, iy) DO UPDATE
        SET n = m.n + excluded.n, sum_x = m.sum_x + excluded.sum_x, sum_y = m.sum_y + excluded.sum_y;
    DELETE FROM service_map_cell WHERE n <= 0;  -- partial index service_map_cell_empty
END
$fn$;

-- Rebuild every copy of these services (NULL: all) from the directory as it now stands.
CREATE OR REPLACE FUNCTION directory_copies_refresh(service_ids text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF service_ids IS NULL THEN
        -- One full rebuild at a time, and no listed one beside it (they take ROW EXCLUSIVE).
        LOCK TABLE service_point, service_point_category, service_map_point, service_map_cell
            IN SHARE ROW EXCLUSIVE MODE;
    ELSE
        PERFORM 1 FROM service WHERE id = ANY(service_ids) ORDER BY id FOR NO KEY UPDATE;
    END IF;
    PERFORM service_point_refresh(service_ids);
    PERFORM service_point_category_refresh(service_ids);
    PERFORM service_map_refresh(service_ids);
END
$fn$;

-- Rebuild the copies of what this transaction changed; the number of services (-1: all).
CREATE OR REPLACE FUNCTION directory_sync() RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    me xid8 := pg_current_xact_id_if_assigned();
    ids text[];
BEGIN
    IF me IS NULL THEN
        RETURN 0;  -- this transaction has written nothing
    END IF;
    WITH taken AS (DELETE FROM directory_pending WHERE txid = me RETURNING service_id)
    SELECT array_agg(service_id ORDER BY service_id) INTO ids FROM taken;
    DELETE FROM directory_sync_due WHERE txid = me;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    IF '*' = ANY(ids) OR cardinality(ids) > 500 THEN
        PERFORM directory_analyze();  -- plan on statistics that know what this transaction wrote
    END IF;
    IF '*' = ANY(ids) OR cardinality(ids) > directory_full_rebuild_over() THEN
        PERFORM directory_copies_refresh(NULL);
        RETURN -1;
    END IF;
    PERFORM directory_copies_refresh(ids);
    RETURN cardinality(ids);
END
$fn$;

-- Statistics that include this transaction's own bulk load, so the rebuild plans hash joins; the
-- tables analysed. A load in the same transaction is invisible to autovacuum, which may even record
-- its tables as empty, and a plan made on that joins with nested loops over every row. Only tables
-- the rebuild reads that changed in this transaction or by a tenth since their last analysis, and
-- only the columns its plan depends on (row counts, join and filter columns): a column list leaves
-- autovacuum's counter alone, so it still analyses the whole tables after the commit.
CREATE OR REPLACE FUNCTION directory_analyze() RETURNS text[]
LANGUAGE plpgsql AS $fn$
DECLARE
    t record;
    done text[] := '{}';
BEGIN
    FOR t IN
        SELECT c.relname AS name, p.columns
        FROM (VALUES
            ('service', 'id, organization_id, status, retired_at'),
            ('service_at_location', 'service_id, location_id, retired_at'),
            ('location', 'id, county_fips, retired_at'),
            ('organization', 'id'),
            ('address', 'location_id'),
            ('phone', 'service_id'),
            ('schedule', 'service_id, freq, opens_at, closes_at, tz_name, valid_from, valid_to'),
            ('language', 'service_id'),
            ('cost_option', 'service_id'),
            ('attribute', 'link_entity, link_id'),
            ('service_stage', 'service_id'),
            ('region', 'id, kind, code'),
            ('region_member', 'region_id, member_id')) AS p(name, columns)
        JOIN pg_class c ON c.oid = p.name::regclass
        LEFT JOIN pg_stat_xact_user_tables x ON x.relid = c.oid
        LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
        WHERE coalesce(x.n_tup_ins + x.n_tup_upd + x.n_tup_del, 0) > 0
           OR coalesce(s.n_mod_since_analyze, 0) > 0.1 * greatest(c.reltuples, 0)
        ORDER BY c.relname
    LOOP
        EXECUTE format('ANALYZE %I (%s)', t.name, t.columns);
        done := done || t.name::text;
    END LOOP;
    RETURN done;
END
$fn$;

CREATE OR REPLACE FUNCTION directory_sync_at_commit() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM directory_sync();
    RETURN NULL;
END
$fn$;
