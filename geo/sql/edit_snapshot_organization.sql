-- One organization's editable state as JSON (the audit trail's before/after, what restore puts
-- back): geo/edits/snapshot.py.
SELECT jsonb_build_object('id', o.id, 'name', o.name, 'alternate_name', o.alternate_name,
    'description', o.description, 'email', o.email, 'website', o.website,
    'retired_at', o.retired_at) AS snap
FROM organization o WHERE o.id = %(id)s
