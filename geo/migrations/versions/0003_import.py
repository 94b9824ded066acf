"""Imports: a geocode cache, and a fingerprint per imported service so re-imports change nothing.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
-- Every address we have placed, so the cascade never asks twice (and works offline afterwards).
CREATE TABLE geocode_cache (
    query_key   text PRIMARY KEY,
    query       text NOT NULL,
    state       char(2),
    latitude    double precision NOT NULL,
    longitude   double precision NOT NULL,
    precision   text NOT NULL CHECK (precision IN ('rooftop', 'street', 'zip', 'place', 'county')),
    source      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Foreign keys that cascade without an index make deleting (or re-importing) N services cost N
-- sequential scans: deleting 57,000 imported services took over 13 minutes without these.
CREATE INDEX IF NOT EXISTS language_phone ON language (phone_id);
CREATE INDEX IF NOT EXISTS language_location ON language (location_id);
CREATE INDEX IF NOT EXISTS phone_service_at_location ON phone (service_at_location_id);
CREATE INDEX IF NOT EXISTS phone_organization ON phone (organization_id);
CREATE INDEX IF NOT EXISTS schedule_service_at_location ON schedule (service_at_location_id);
CREATE INDEX IF NOT EXISTS schedule_location ON schedule (location_id);
CREATE INDEX IF NOT EXISTS location_organization ON location (organization_id);

-- A hash of the record as the source gave it: equal hash on re-import means nothing to write.
ALTER TABLE service ADD COLUMN import_hash text;
-- The source's own id for a service area, so exports give it back and re-imports match it.
ALTER TABLE service_area ADD COLUMN source_id text;
"""

DOWNGRADE = """
DROP INDEX IF EXISTS language_phone, language_location, phone_service_at_location, phone_organization,
    schedule_service_at_location, schedule_location, location_organization;
ALTER TABLE service DROP COLUMN IF EXISTS import_hash;
ALTER TABLE service_area DROP COLUMN IF EXISTS source_id;
DROP TABLE IF EXISTS geocode_cache;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
