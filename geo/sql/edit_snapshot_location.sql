-- One location's editable state as JSON, with its first address (the audit trail's before/after,
-- what restore puts back): geo/edits/snapshot.py.
SELECT jsonb_build_object('id', l.id, 'name', l.name, 'description', l.description,
    'latitude', l.latitude, 'longitude', l.longitude, 'confidential', l.confidential,
    'organization_id', l.organization_id, 'county_fips', l.county_fips, 'retired_at', l.retired_at,
    'address', (SELECT jsonb_build_object('address_1', a.address_1, 'address_2', a.address_2,
                        'city', a.city, 'state_province', a.state_province, 'postal_code', a.postal_code)
                FROM address a WHERE a.location_id = l.id ORDER BY a.id LIMIT 1)) AS snap
FROM location l WHERE l.id = %(id)s
