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

-- A hash of the record as the source gave it: equal hash on re-import means nothing to write.
ALTER TABLE service ADD COLUMN import_hash text;
"""

DOWNGRADE = """
ALTER TABLE service DROP COLUMN IF EXISTS import_hash;
DROP TABLE IF EXISTS geocode_cache;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
