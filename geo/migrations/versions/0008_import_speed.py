"""Fewer index entries per imported row: every index is written on every insert.

- location_geog_gist goes: nearby search reads service_point.geog, nothing reads location by
  geography (the nearest-county fallback walks from the location to the counties).
- address_postal_code and service_stage_stage go: nothing filters those tables by those columns
  (search filters service_point).
- The indexes behind nullable HSDS links (a phone, schedule or language may hang off a location,
  organization, phone or service-at-location, but an imported one hangs off its service) become
  partial, WHERE the link IS NOT NULL: a B-tree indexes NULLs too, so each imported row paid for
  entries nothing can find. The cascading deletes they serve (`WHERE location_id = $1`) imply
  IS NOT NULL, so they still use them.

Revision ID: 0008
Revises: 0001 (after 0003)
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008"
down_revision = "0001"
branch_labels = None
depends_on = "0003"  # it made the link indexes this replaces

# (index, table, column) of the nullable links.
PARTIAL = [
    ("phone_location", "phone", "location_id"),
    ("phone_organization", "phone", "organization_id"),
    ("phone_service_at_location", "phone", "service_at_location_id"),
    ("schedule_location", "schedule", "location_id"),
    ("schedule_service_at_location", "schedule", "service_at_location_id"),
    ("language_location", "language", "location_id"),
    ("language_phone", "language", "phone_id"),
]


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS location_geog_gist")
    op.execute("DROP INDEX IF EXISTS address_postal_code")
    op.execute("DROP INDEX IF EXISTS service_stage_stage")
    for name, table, column in PARTIAL:
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON {table} ({column}) WHERE {column} IS NOT NULL")


def downgrade() -> None:
    for name, table, column in PARTIAL:
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON {table} ({column})")
    op.execute("CREATE INDEX service_stage_stage ON service_stage (stage_code)")
    op.execute("CREATE INDEX address_postal_code ON address (postal_code)")
    op.execute("CREATE INDEX location_geog_gist ON location USING gist ((geom::geography))")
