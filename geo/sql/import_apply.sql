-- Apply one import's staged rows (new or changed services only) in a few set-based statements.
-- Ids are derived from (source, source id), so an edited file updates rows and never duplicates.
-- %(is_sample)s labels every row of the sample loader's records, which are written here too.
-- A changed service's details (phones, schedules, languages, categories, stages) are cleared here
-- and then COPYed straight into their tables by geo.importer.apply: they are new rows, nothing to
-- join or merge, so they skip the staging tables.

-- step: organizations
INSERT INTO organization AS o (id, name, source, source_id, import_run_id, is_sample)
SELECT DISTINCT ON (organization_id) organization_id, org_name, %(source)s, org_source_id, %(run_id)s,
       %(is_sample)s
FROM import_service ORDER BY organization_id
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, import_run_id = EXCLUDED.import_run_id,
    updated_at = now(), retired_at = NULL
WHERE o.name IS DISTINCT FROM EXCLUDED.name;

-- step: services
-- A verification (assured_date, assurer_email) is kept unless the source says of a later one: the
-- most recent confirmation wins, whether an editor's (POST /api/services/{id}/verify) or the source's.
INSERT INTO service AS s (id, organization_id, name, description, url, email, capacity, confidential,
                          status, minimum_age, maximum_age, import_hash, source, source_id, import_run_id,
                          is_sample, assured_date, assurer_email)
SELECT service_id, organization_id, name, description, url, email, capacity, confidential, status,
       minimum_age, maximum_age, import_hash, %(source)s, source_id, %(run_id)s, %(is_sample)s,
       assured_date, assurer_email
FROM import_service
ON CONFLICT (id) DO UPDATE SET organization_id = EXCLUDED.organization_id, name = EXCLUDED.name,
    description = EXCLUDED.description, url = EXCLUDED.url, email = EXCLUDED.email,
    capacity = EXCLUDED.capacity, confidential = EXCLUDED.confidential, status = EXCLUDED.status,
    minimum_age = EXCLUDED.minimum_age, maximum_age = EXCLUDED.maximum_age,
    import_hash = EXCLUDED.import_hash, import_run_id = EXCLUDED.import_run_id,
    assured_date = greatest(s.assured_date, EXCLUDED.assured_date),
    assurer_email = CASE WHEN EXCLUDED.assured_date >= coalesce(s.assured_date, EXCLUDED.assured_date)
                         THEN EXCLUDED.assurer_email ELSE s.assurer_email END,
    updated_at = now(), retired_at = NULL;

-- step: clear the details of changed services (they are written again below)
DELETE FROM attribute a USING import_service i
WHERE a.link_entity = 'service' AND a.link_id = i.service_id;
-- step: clear phones
DELETE FROM phone p USING import_service i WHERE p.service_id = i.service_id;
-- step: clear schedules
DELETE FROM schedule x USING import_service i WHERE x.service_id = i.service_id;
-- step: clear languages
DELETE FROM language x USING import_service i WHERE x.service_id = i.service_id;
-- step: clear cost options
DELETE FROM cost_option x USING import_service i WHERE x.service_id = i.service_id;
-- step: clear stages
DELETE FROM service_stage x USING import_service i WHERE x.service_id = i.service_id;
-- step: clear service areas
DELETE FROM service_area x USING import_service i WHERE x.service_id = i.service_id;
-- step: clear links to locations
DELETE FROM service_at_location x USING import_service i WHERE x.service_id = i.service_id;

-- step: locations
INSERT INTO location AS l (id, organization_id, name, latitude, longitude, geom, geocode_precision,
                           geocode_source, confidential, county_fips, source, source_id, import_run_id, is_sample)
SELECT DISTINCT ON (il.location_id) il.location_id, s.organization_id, il.name, il.latitude, il.longitude,
       CASE WHEN il.latitude IS NOT NULL THEN ST_SetSRID(ST_MakePoint(il.longitude, il.latitude), 4326) END,
       il.precision, il.geocode_source, il.confidential, il.county_fips, %(source)s, il.source_id, %(run_id)s,
       %(is_sample)s
FROM import_location il JOIN import_service s USING (service_id)
ORDER BY il.location_id
ON CONFLICT (id) DO UPDATE SET organization_id = EXCLUDED.organization_id, name = EXCLUDED.name,
    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, geom = EXCLUDED.geom,
    geocode_precision = EXCLUDED.geocode_precision, geocode_source = EXCLUDED.geocode_source,
    confidential = EXCLUDED.confidential, import_run_id = EXCLUDED.import_run_id, updated_at = now(),
    retired_at = NULL, county_fips = EXCLUDED.county_fips;

-- step: addresses
DELETE FROM address a USING import_location il WHERE a.location_id = il.location_id;
-- step: address rows
INSERT INTO address (id, location_id, address_1, city, state_province, postal_code)
SELECT DISTINCT ON (address_id) address_id, location_id, coalesce(address_1, ''), coalesce(city, ''),
       coalesce(state, ''), coalesce(postal_code, '')
FROM import_location
WHERE coalesce(address_1, city, postal_code) IS NOT NULL
ORDER BY address_id;

-- step: service at location
INSERT INTO service_at_location (id, service_id, location_id, source, source_id, import_run_id, is_sample)
SELECT sal_id, service_id, location_id, %(source)s, source_id, %(run_id)s, %(is_sample)s FROM import_location
ON CONFLICT (service_id, location_id) DO NOTHING;

-- step: service areas
INSERT INTO service_area (id, service_id, source_id, name, description, extent, extent_type, geom)
SELECT id, service_id, source_id, name, description, extent, extent_type,
       CASE WHEN wkb IS NOT NULL THEN ST_Multi(ST_SetSRID(ST_GeomFromWKB(wkb), 4326)) END
FROM import_area;
-- step: service area regions (the counties, circuits and divisions each area covers, not just touches)
INSERT INTO service_area_region (service_area_id, region_id)
SELECT a.id, r.id
FROM service_area a JOIN import_area ia ON ia.id = a.id
JOIN region r ON r.kind IN ('state', 'county', 'circuit', 'division')
             AND r.geom && a.geom AND ST_Relate(r.geom, a.geom, 'T********')
ON CONFLICT DO NOTHING;
