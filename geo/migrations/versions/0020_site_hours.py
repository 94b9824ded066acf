"""Opening hours per site: a service at two locations with different hours is open where it is open.

HSDS hangs a schedule off a service, a service at a location or a location. Imports used to fold
them all into the service, so a service open Monday at one site and Tuesday at the other was "open
now" at both on either day. Schedules of one site now keep their service_at_location_id; a site
with rules of its own uses those, every other site the service's (service_point_refresh.sql builds
each search row's hours, open_week and open_dated so; a site's rules are found by the partial index
schedule_service_at_location of 0008). schedule_open_at, which open-now asks for monthly and
seasonal rules, takes the site too and applies the same choice.

The copies are then rebuilt from the directory (see 0011).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from alembic import op

from geo.migrate import install_functions

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _open_at(arguments: str, site: str) -> str:
    """CREATE FUNCTION schedule_open_at(arguments): 0009's rules (a rule's days, times, season and
    time zone, an opening past midnight counted on the day before), for the schedules `site` keeps."""
    return f"""
CREATE FUNCTION schedule_open_at({arguments}) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1
        FROM schedule sc
        CROSS JOIN LATERAL (SELECT at AT TIME ZONE sc.tz_name AS t) lt
        CROSS JOIN LATERAL (VALUES (lt.t::date, false), ((lt.t - interval '1 day')::date, true)) AS d(day, overnight)
        WHERE sc.service_id = p_service_id
          AND {site}
          AND sc.opens_at IS NOT NULL AND sc.closes_at IS NOT NULL AND sc.tz_name IS NOT NULL
          AND (sc.valid_from IS NULL OR d.day >= sc.valid_from)
          AND (sc.valid_to IS NULL OR d.day <= sc.valid_to)
          AND schedule_on_day(sc.freq, sc.byday, sc.bymonthday, d.day)
          AND CASE WHEN NOT d.overnight
                   THEN lt.t::time >= sc.opens_at
                        AND (sc.closes_at >= time '23:59' OR sc.closes_at <= sc.opens_at OR lt.t::time < sc.closes_at)
                   ELSE sc.closes_at < time '23:59' AND sc.closes_at <= sc.opens_at
                        AND lt.t::time < sc.closes_at END
    )
$$;
"""  # noqa: S608 - the migration's own text, no input


# Open at `at` by the rules of this site if it has any, else by the service's own.
UPGRADE = _open_at(
    "p_service_id text, p_sal_id text, at timestamptz",
    """sc.service_at_location_id IS NOT DISTINCT FROM
              (SELECT p_sal_id WHERE EXISTS (SELECT 1 FROM schedule o WHERE o.service_id = p_service_id
                                                                      AND o.service_at_location_id = p_sal_id))""")
# The function as 0009 made it (every schedule of the service), for the search SQL of older code.
DOWNGRADE = _open_at("p_service_id text, at timestamptz", "true")


def upgrade() -> None:
    op.execute("DROP FUNCTION schedule_open_at(text, timestamptz)")
    op.execute(UPGRADE)
    install_functions(op.get_bind().connection.driver_connection)  # type: ignore[union-attr]
    op.execute("SELECT directory_copies_refresh(NULL)")


def downgrade() -> None:
    # The search SQL of the matching code calls the two-argument function again.
    op.execute("DROP FUNCTION IF EXISTS schedule_open_at(text, text, timestamptz)")
    op.execute(DOWNGRADE)
