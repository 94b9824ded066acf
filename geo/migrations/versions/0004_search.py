"""Search: `service_point`, one denormalised row per service at a location, for nearby search.

Filters (category, stage, language, cost, age, open now) are read from the same row the KNN index
scan returns, so a search needs no joins. Confidential sites are stored at their county's
representative point, never their own: no query on this table can locate them. The table is rebuilt
by geo/sql/service_point_rows.sql (geo.search.refresh_service_points) after every load.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE service_point (
    id            text PRIMARY KEY,  -- service_at_location.id
    service_id    text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
    location_id   text NOT NULL REFERENCES location(id) ON DELETE CASCADE,
    organization_id text,
    -- The location's point; for confidential sites, their county's representative point.
    geog          geography(Point, 4326) NOT NULL,
    confidential  boolean NOT NULL,
    categories    text[] NOT NULL DEFAULT '{}',
    stages        text[] NOT NULL DEFAULT '{}',
    languages     text[] NOT NULL DEFAULT '{}',
    costs         text[] NOT NULL DEFAULT '{}',
    minimum_age   numeric,
    maximum_age   numeric,
    county_fips   char(5),
    postal_code   text,
    -- Weekly opening hours as seconds since Monday 00:00 local time, in the schedule's zone.
    tz_name       text,
    open_week     int4multirange,
    -- What a search result shows, already stripped of confidential details. Stored out of line
    -- (toast_tuple_target, STORAGE EXTERNAL) so the rows a search scans stay narrow; only the page
    -- of results reads it.
    doc           jsonb NOT NULL
) WITH (toast_tuple_target = 128, parallel_workers = 0);
-- Parallel workers cost more to start than these small index scans take.
ALTER TABLE service_point ALTER COLUMN doc SET STORAGE EXTERNAL;
CREATE INDEX service_point_geog_gist ON service_point USING gist (geog);
CREATE INDEX service_point_categories ON service_point USING gin (categories);
CREATE INDEX service_point_languages ON service_point USING gin (languages);
CREATE INDEX service_point_stages ON service_point USING gin (stages);
CREATE INDEX service_point_service ON service_point (service_id);
CREATE INDEX service_point_location ON service_point (location_id);
CREATE INDEX service_point_postal_code ON service_point (postal_code);

-- Seconds since Monday 00:00 in zone `tz` at instant `at`: compared with open_week for open-now.
CREATE FUNCTION local_week_second(at timestamptz, tz text) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ((extract(isodow FROM at AT TIME ZONE tz)::int - 1) * 86400
            + extract(epoch FROM (at AT TIME ZONE tz)::time)::int)
$$;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS local_week_second(timestamptz, text);
DROP TABLE IF EXISTS service_point;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
