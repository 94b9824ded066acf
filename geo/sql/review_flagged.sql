-- Listings in scope (review_scope.sql) that an import retired because the source stopped sending
-- them (`atlas import --retire-missing`: retired with its import_hash cleared, by that run), and
-- that no editor has reviewed since (an audited resolve keeps them retired; a dismiss brings them
-- back), most recent first, with the total.
, items AS (
    SELECT s.id, s.source, s.retired_at, s.import_run_id, i.service
    FROM service s JOIN in_scope i ON i.id = s.id
    WHERE s.retired_at IS NOT NULL AND s.import_hash IS NULL AND s.source_id IS NOT NULL
      AND s.import_run_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM audit_log a
                      WHERE a.entity = 'service' AND a.entity_id = s.id AND a.action IN ('resolve', 'dismiss')
                        AND a.at >= s.retired_at)
)
SELECT *, count(*) OVER () AS total FROM items ORDER BY retired_at DESC, id LIMIT %(limit)s OFFSET %(offset)s
