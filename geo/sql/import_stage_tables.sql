-- Staging tables for one import: COPY fills them, set-based SQL (import_apply.sql) merges them into
-- the tables (services and locations are upserts by id; service areas are overlaid on regions).
DROP TABLE IF EXISTS pg_temp.import_service, pg_temp.import_location, pg_temp.import_area;
CREATE TEMP TABLE import_service (
    service_id text PRIMARY KEY, source_id text NOT NULL, import_hash text NOT NULL,
    organization_id text NOT NULL, org_source_id text NOT NULL, org_name text NOT NULL,
    name text NOT NULL, description text, url text, email text, capacity integer,
    confidential boolean NOT NULL, status text NOT NULL, minimum_age numeric, maximum_age numeric,
    assured_date date, assurer_email text
) ON COMMIT DROP;
CREATE TEMP TABLE import_location (
    location_id text, service_id text, source_id text, sal_id text, name text,
    latitude double precision, longitude double precision, precision text, geocode_source text,
    confidential boolean, address_id text, address_1 text, city text, state text, postal_code text,
    county_fips text
) ON COMMIT DROP;
CREATE TEMP TABLE import_area (
    id text, service_id text, source_id text, name text, description text, extent text, extent_type text,
    wkb bytea
) ON COMMIT DROP;
