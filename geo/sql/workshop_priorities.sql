-- A workshop's priorities in rank order, each with the gap-matrix cells it is about and the
-- figures frozen when it was set (then_*): later desert runs replace the rollups they came from.
SELECT p.id, p.rank, p.title, p.description, p.set_at,
       coalesce(jsonb_agg(jsonb_build_object(
           'category', c.category, 'stage', c.stage,
           'population_uncovered', c.then_population_uncovered, 'share_uncovered', c.then_share_uncovered,
           'services', c.then_services, 'run_id', c.then_run_id, 'finished_at', c.then_finished_at)
           ORDER BY c.category, c.stage) FILTER (WHERE c.priority_id IS NOT NULL), '[]'::jsonb) AS cells
FROM workshop_priority p
LEFT JOIN workshop_priority_cell c ON c.priority_id = p.id
WHERE p.workshop_id = %(workshop_id)s
GROUP BY p.id
ORDER BY p.rank, p.id
