-- Open problem reports of the services in scope (review_scope.sql), oldest first, with the total.
, items AS (
    SELECT p.id, p.kind, p.text, p.contact, p.lang, p.created_at, p.status, i.service
    FROM problem_report p JOIN in_scope i ON i.id = p.service_id
    WHERE p.status = 'open'
)
SELECT *, count(*) OVER () AS total FROM items ORDER BY created_at, id LIMIT %(limit)s OFFSET %(offset)s
