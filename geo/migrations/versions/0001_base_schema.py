"""Base schema: Open Referral HSDS 3 core tables, the Upstream landscape, and regions.

Geometry is stored in SRID 4326 (lon/lat). Distances are computed on the ellipsoid by casting to
geography; areas in an equal-area projection (EPSG:5070, CONUS Albers) where needed.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Columns every imported HSDS record carries: where it came from and which run brought it.
PROVENANCE = """
    source        text NOT NULL DEFAULT 'atlas',
    source_id     text,
    import_run_id bigint REFERENCES import_run(id),
    is_sample     boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    retired_at    timestamptz
"""

UPGRADE = f"""
CREATE TABLE import_run (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL,
    path        text,
    kind        text NOT NULL DEFAULT 'import',
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running',
    summary     jsonb NOT NULL DEFAULT '{{}}'::jsonb
);

-- Regions: counties, states, circuits, divisions and custom areas. Circuits and divisions are the
-- union of their member counties (region_member).
CREATE TABLE region (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('state', 'county', 'circuit', 'division', 'custom')),
    code        text NOT NULL,
    name        text NOT NULL,
    state_fips  char(2),
    population  bigint,
    source      text NOT NULL,
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, code)
);
CREATE INDEX region_geom_gist ON region USING gist (geom);
CREATE INDEX region_kind_state ON region (kind, state_fips);

CREATE TABLE region_member (
    region_id   bigint NOT NULL REFERENCES region(id) ON DELETE CASCADE,
    member_id   bigint NOT NULL REFERENCES region(id) ON DELETE CASCADE,
    PRIMARY KEY (region_id, member_id)
);
CREATE INDEX region_member_member ON region_member (member_id);

-- Taxonomy (HSDS 3 taxonomy / taxonomy_term), loaded from data/taxonomy/*.csv.
CREATE TABLE taxonomy (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    description text,
    uri         text,
    version     text
);

CREATE TABLE taxonomy_term (
    id          text PRIMARY KEY,
    code        text NOT NULL,
    name        text NOT NULL,
    name_es     text,
    description text,
    parent_id   text REFERENCES taxonomy_term(id),
    taxonomy    text NOT NULL,
    taxonomy_id text REFERENCES taxonomy(id),
    language    text DEFAULT 'en',
    term_uri    text,
    -- Upstream Atlas: how far is too far for this category (deserts), urban and rural.
    urban_threshold_m double precision,
    rural_threshold_m double precision,
    UNIQUE (taxonomy, code)
);

CREATE TABLE landscape_stage (
    code        text PRIMARY KEY,
    position    smallint NOT NULL,
    name        text NOT NULL,
    name_es     text,
    description text
);

CREATE TABLE organization (
    id                text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    name              text NOT NULL,
    alternate_name    text,
    description       text,
    email             text,
    website           text,
    tax_status        text,
    tax_id            text,
    year_incorporated smallint,
    legal_status      text,
    logo              text,
    uri               text,
    parent_organization_id text REFERENCES organization(id),
    {PROVENANCE}
);
CREATE UNIQUE INDEX organization_source ON organization (source, source_id);

CREATE TABLE service (
    id                     text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    organization_id        text NOT NULL REFERENCES organization(id),
    program_id             text,
    name                   text NOT NULL,
    alternate_name         text,
    description            text,
    url                    text,
    email                  text,
    status                 text NOT NULL DEFAULT 'active'
                           CHECK (status IN ('active', 'inactive', 'defunct', 'temporarily closed')),
    interpretation_services text,
    application_process    text,
    fees_description       text,
    wait_time              text,
    accreditations         text,
    eligibility_description text,
    minimum_age            numeric,
    maximum_age            numeric,
    assured_date           date,
    assurer_email          text,
    alert                  text,
    -- Upstream Atlas extensions.
    capacity               integer CHECK (capacity IS NULL OR capacity >= 0),
    confidential           boolean NOT NULL DEFAULT false,
    {PROVENANCE}
);
CREATE UNIQUE INDEX service_source ON service (source, source_id);
CREATE INDEX service_organization ON service (organization_id);

CREATE TABLE location (
    id                  text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    location_type       text NOT NULL DEFAULT 'physical'
                        CHECK (location_type IN ('physical', 'postal', 'virtual')),
    url                 text,
    organization_id     text REFERENCES organization(id),
    name                text,
    alternate_name      text,
    description         text,
    transportation      text,
    latitude            numeric,
    longitude           numeric,
    external_identifier text,
    external_identifier_type text,
    geom                geometry(Point, 4326),
    -- How we know where it is: rooftop, street, zip, place, county; and who said so.
    geocode_precision   text CHECK (geocode_precision IN ('rooftop', 'street', 'zip', 'place', 'county')),
    geocode_source      text,
    county_fips         char(5),
    confidential        boolean NOT NULL DEFAULT false,
    {PROVENANCE}
);
CREATE UNIQUE INDEX location_source ON location (source, source_id);
CREATE INDEX location_geom_gist ON location USING gist (geom);
CREATE INDEX location_geog_gist ON location USING gist ((geom::geography));
CREATE INDEX location_county ON location (county_fips);

CREATE TABLE service_at_location (
    id          text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    service_id  text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
    location_id text NOT NULL REFERENCES location(id) ON DELETE CASCADE,
    description text,
    {PROVENANCE},
    UNIQUE (service_id, location_id)
);
CREATE INDEX service_at_location_location ON service_at_location (location_id);

CREATE TABLE address (
    id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    location_id    text NOT NULL REFERENCES location(id) ON DELETE CASCADE,
    attention      text,
    address_1      text NOT NULL,
    address_2      text,
    city           text NOT NULL,
    region         text,
    state_province text NOT NULL,
    postal_code    text NOT NULL,
    country        char(2) NOT NULL DEFAULT 'US',
    address_type   text NOT NULL DEFAULT 'physical' CHECK (address_type IN ('physical', 'postal', 'virtual'))
);
CREATE INDEX address_location ON address (location_id);
CREATE INDEX address_postal_code ON address (postal_code);

CREATE TABLE phone (
    id                     text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    location_id            text REFERENCES location(id) ON DELETE CASCADE,
    service_id             text REFERENCES service(id) ON DELETE CASCADE,
    organization_id        text REFERENCES organization(id) ON DELETE CASCADE,
    contact_id             text,
    service_at_location_id text REFERENCES service_at_location(id) ON DELETE CASCADE,
    number                 text NOT NULL,
    extension              text,
    type                   text,
    description            text
);
CREATE INDEX phone_service ON phone (service_id);
CREATE INDEX phone_location ON phone (location_id);

CREATE TABLE schedule (
    id                     text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    service_id             text REFERENCES service(id) ON DELETE CASCADE,
    location_id            text REFERENCES location(id) ON DELETE CASCADE,
    service_at_location_id text REFERENCES service_at_location(id) ON DELETE CASCADE,
    valid_from             date,
    valid_to               date,
    dtstart                date,
    -- HSDS 3 gives the offset from UTC; tz_name (IANA) keeps daylight saving right for open-now.
    timezone               numeric,
    tz_name                text,
    until                  date,
    count                  integer,
    wkst                   text,
    freq                   text CHECK (freq IS NULL OR freq IN ('WEEKLY', 'MONTHLY')),
    interval               integer,
    byday                  text,
    byweekno               text,
    bymonthday             text,
    byyearday              text,
    description            text,
    opens_at               time,
    closes_at              time,
    schedule_link          text,
    attending_type         text,
    notes                  text
);
CREATE INDEX schedule_service ON schedule (service_id);

CREATE TABLE language (
    id          text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    service_id  text REFERENCES service(id) ON DELETE CASCADE,
    location_id text REFERENCES location(id) ON DELETE CASCADE,
    phone_id    text REFERENCES phone(id) ON DELETE CASCADE,
    name        text,
    code        text,
    note        text
);
CREATE INDEX language_service ON language (service_id);

CREATE TABLE cost_option (
    id                 text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    service_id         text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
    valid_from         date,
    valid_to           date,
    -- free | sliding scale | insurance | fee
    option             text,
    currency           char(3),
    amount             numeric,
    amount_description text
);
CREATE INDEX cost_option_service ON cost_option (service_id);

-- HSDS 3 links any record to a taxonomy term through `attribute`; services to their categories.
CREATE TABLE attribute (
    id               text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    link_id          text NOT NULL,
    taxonomy_term_id text NOT NULL REFERENCES taxonomy_term(id),
    link_type        text,
    link_entity      text NOT NULL,
    value            text,
    label            text,
    UNIQUE (link_entity, link_id, taxonomy_term_id)
);
CREATE INDEX attribute_term ON attribute (taxonomy_term_id);

CREATE TABLE service_stage (
    service_id  text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
    stage_code  text NOT NULL REFERENCES landscape_stage(code),
    PRIMARY KEY (service_id, stage_code)
);
CREATE INDEX service_stage_stage ON service_stage (stage_code);

CREATE TABLE service_area (
    id          text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    service_id  text REFERENCES service(id) ON DELETE CASCADE,
    name        text,
    description text,
    extent      text,
    extent_type text,
    uri         text,
    geom        geometry(MultiPolygon, 4326)
);
CREATE INDEX service_area_geom_gist ON service_area USING gist (geom);
CREATE INDEX service_area_service ON service_area (service_id);

CREATE TABLE service_area_region (
    service_area_id text NOT NULL REFERENCES service_area(id) ON DELETE CASCADE,
    region_id       bigint NOT NULL REFERENCES region(id) ON DELETE CASCADE,
    PRIMARY KEY (service_area_id, region_id)
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS service_area_region, service_area, service_stage, attribute, cost_option,
    language, schedule, phone, address, service_at_location, location, service, organization,
    landscape_stage, taxonomy_term, taxonomy, region_member, region, import_run CASCADE;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
