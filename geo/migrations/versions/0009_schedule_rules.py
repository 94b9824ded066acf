"""Open-now for monthly and seasonal schedules (HSDS freq MONTHLY, valid_from/valid_to).

service_point.open_week stays the fast path: the week, as ranges of seconds, of every schedule that
repeats each week all year. A service with any other schedule (monthly, or with a season) has
open_dated set, and open-now asks schedule_open_at for it: those rules depend on the date, which a
weekly range cannot hold. It reads only the candidates already near the searcher, by service_id.

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE service_point ADD COLUMN open_dated boolean NOT NULL DEFAULT false;

-- Does a schedule's recurrence fall on `day`? WEEKLY: its weekday is listed. MONTHLY: a listed
-- weekday in its listed week of the month ("2SA" the second Saturday, "-1FR" the last Friday), or a
-- listed day of the month ("15", "-1" the last day).
CREATE FUNCTION schedule_on_day(freq text, byday text, bymonthday text, day date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH d AS (
        SELECT (ARRAY['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'])[extract(isodow FROM day)::int] AS code,
               extract(day FROM day)::int AS dom,
               extract(day FROM date_trunc('month', day) + interval '1 month - 1 day')::int AS last
    )
    SELECT coalesce(bool_or(hit), false) FROM (
        SELECT t.m[2] = d.code AND (t.m[1] = '' OR coalesce(upper(freq), 'WEEKLY') = 'WEEKLY'
                                    OR (t.m[1]::int > 0 AND (d.dom + 6) / 7 = t.m[1]::int)
                                    OR (t.m[1]::int < 0 AND (d.last - d.dom + 7) / 7 = -t.m[1]::int)) AS hit
        FROM d, regexp_matches(upper(coalesce(byday, '')), '(-?[0-9]?)(MO|TU|WE|TH|FR|SA|SU)', 'g') AS t(m)
        UNION ALL
        SELECT upper(freq) = 'MONTHLY' AND (trim(n)::int = d.dom OR trim(n)::int = d.dom - d.last - 1)
        FROM d, unnest(string_to_array(coalesce(bymonthday, ''), ',')) AS n
        WHERE trim(n) ~ '^-?[0-9]{1,2}$'
    ) days
$$;

-- Is the service open at instant `at` by any of its schedules, each judged in its own time zone and
-- season? An opening that runs past midnight is open in the small hours of the next day too.
CREATE FUNCTION schedule_open_at(p_service_id text, at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1
        FROM schedule sc
        CROSS JOIN LATERAL (SELECT at AT TIME ZONE sc.tz_name AS t) lt
        CROSS JOIN LATERAL (VALUES (lt.t::date, false), ((lt.t - interval '1 day')::date, true)) AS d(day, overnight)
        WHERE sc.service_id = p_service_id
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
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS schedule_open_at(text, timestamptz);
DROP FUNCTION IF EXISTS schedule_on_day(text, text, text, date);
ALTER TABLE service_point DROP COLUMN IF EXISTS open_dated;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
