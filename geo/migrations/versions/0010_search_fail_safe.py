"""Nearby search fails safe: a change that hides a service takes it out of service_point at once.

service_point is rebuilt by whoever writes (imports, edits, `atlas sample`) in the writer's own
transaction. A change made any other way (psql, a script) would otherwise leave the search table
showing what was there before: a shelter just marked confidential still at its street point, a
closed service still listed. These row triggers delete the affected search rows when a service or
location becomes confidential, is retired or stops being active, or a location moves, so the worst
case is "not found until refreshed" (`geo.search.refresh_service_points`), never "found where it
must not be". The WHEN clauses keep ordinary updates (imports rewrite rows) off the trigger path.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE FUNCTION service_point_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    CASE TG_TABLE_NAME
        WHEN 'service' THEN DELETE FROM service_point WHERE service_id = NEW.id;
        WHEN 'location' THEN DELETE FROM service_point WHERE location_id = NEW.id;
        ELSE DELETE FROM service_point WHERE id = NEW.id;  -- service_at_location
    END CASE;
    RETURN NULL;
END $$;

CREATE TRIGGER service_point_forget AFTER UPDATE ON service FOR EACH ROW
    WHEN ((NEW.confidential AND NOT OLD.confidential)
          OR (NEW.retired_at IS NOT NULL AND OLD.retired_at IS NULL)
          OR (NEW.status <> 'active' AND OLD.status = 'active'))
    EXECUTE FUNCTION service_point_forget();
CREATE TRIGGER service_point_forget AFTER UPDATE ON location FOR EACH ROW
    WHEN ((NEW.confidential AND NOT OLD.confidential)
          OR (NEW.retired_at IS NOT NULL AND OLD.retired_at IS NULL)
          OR NEW.geom IS DISTINCT FROM OLD.geom)
    EXECUTE FUNCTION service_point_forget();
CREATE TRIGGER service_point_forget AFTER UPDATE ON service_at_location FOR EACH ROW
    WHEN (NEW.retired_at IS NOT NULL AND OLD.retired_at IS NULL)
    EXECUTE FUNCTION service_point_forget();
"""

DOWNGRADE = """
DROP TRIGGER IF EXISTS service_point_forget ON service;
DROP TRIGGER IF EXISTS service_point_forget ON location;
DROP TRIGGER IF EXISTS service_point_forget ON service_at_location;
DROP FUNCTION IF EXISTS service_point_forget();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
