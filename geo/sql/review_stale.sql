-- Live listings in scope (review_scope.sql) never verified, or last verified more than %(months)s
-- months ago, oldest first (never-verified ones first), with the total.
, items AS (
    SELECT s.id, s.assured_date, s.assurer_email, i.service
    FROM service s JOIN in_scope i ON i.id = s.id
    WHERE s.retired_at IS NULL AND s.status = 'active'
      AND (s.assured_date IS NULL OR s.assured_date < current_date - make_interval(months => %(months)s))
)
SELECT *, count(*) OVER () AS total FROM items
ORDER BY assured_date NULLS FIRST, service ->> 'name', id LIMIT %(limit)s OFFSET %(offset)s
