-- A workshop's action items, oldest first, with the lead organization's name from the directory
-- (none when it was retired or removed) and every quarterly update, oldest first.
SELECT a.id, a.priority_id, a.what, a.lead_organization_id, o.name AS lead_organization, a.partners,
       a.due_on, a.status, a.updated_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', u.id, 'quarter', u.quarter, 'body', u.body,
                                                      'status', u.status, 'created_at', u.created_at)
                                  ORDER BY u.quarter, u.id)
                 FROM action_update u WHERE u.item_id = a.id), '[]'::jsonb) AS updates
FROM action_item a
LEFT JOIN organization o ON o.id = a.lead_organization_id AND o.retired_at IS NULL
WHERE a.workshop_id = %(workshop_id)s
ORDER BY a.due_on NULLS LAST, a.id
