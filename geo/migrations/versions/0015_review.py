"""A directory that stays true: problem reports from the public, flood buckets shared by every app
replica, and the audit trail's new entity and actions (reports resolved or dismissed, services
verified and import flags reviewed).

`service.assured_date` and `service.assurer_email` (HSDS 3) exist since 0001; this adds their index.

Reports keep no trace of who sent them: no IP address, no location, no cookie. Flood protection
counts in `report_bucket` (token buckets, one row per bucket): the global bucket, one per service
and one per client, whose key is an HMAC of the client's address under a salt that lives one day
(`report_salt`, both rows deleted after the day), so a bucket cannot be traced back to an address
and yesterday's buckets cannot be linked to today's.

The audit checks are extended, not rewritten: other branches extend the same lists, so this
revision adds its words to whatever the checks allow when it runs (and its downgrade removes only
its own).

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-03
"""

from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = ("0007", "0016")  # audit_log and api_key; after 0016, which rewrites the audit checks this extends

ENTITIES = ("problem_report",)
ACTIONS = ("verify", "resolve", "dismiss")

UPGRADE = """
CREATE TABLE problem_report (
    id            bigserial PRIMARY KEY,
    service_id    text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('wrong_phone', 'closed', 'moved', 'wrong_hours',
                                                'not_served', 'other')),
    text          text CHECK (char_length(text) <= 1000),
    -- Given by the reporter if they want an answer; erased when the report is closed.
    contact       text CHECK (char_length(contact) <= 200),
    lang          text NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'es')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    closed_at     timestamptz,
    closed_by     bigint REFERENCES api_key(id),
    note          text CHECK (char_length(note) <= 1000),
    -- The edit it led to (an audit entry of the service), when it led to one.
    edit_audit_id bigint REFERENCES audit_log(id),
    CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX problem_report_open ON problem_report (service_id) WHERE status = 'open';
CREATE INDEX problem_report_created ON problem_report (created_at);

-- Token buckets: `tokens` as of `updated_at`; refilled by elapsed time when next taken from.
CREATE TABLE report_bucket (
    bucket     text PRIMARY KEY,
    tokens     double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Today's salt for client bucket keys, made by whichever replica needs it first.
CREATE TABLE report_salt (
    day  date PRIMARY KEY,
    salt bytea NOT NULL
);

CREATE INDEX service_assured_date ON service (assured_date) WHERE retired_at IS NULL;
"""

DOWNGRADE = """
DROP INDEX IF EXISTS service_assured_date;
DROP TABLE IF EXISTS report_salt, report_bucket, problem_report;
"""


def _extend_check(constraint: str, column: str, words: tuple[str, ...], *, remove: bool = False) -> str:
    """Add (or remove) `words` to the IN list of audit_log's check `constraint`, keeping the rest."""
    op_sql = "ARRAY(SELECT unnest(allowed) EXCEPT SELECT unnest(%(words)s))" if remove else \
        "ARRAY(SELECT DISTINCT unnest(allowed || %(words)s) ORDER BY 1)"
    words_sql = "ARRAY[" + ", ".join(f"'{w}'" for w in words) + "]::text[]"
    return f"""
DO $do$
DECLARE
    allowed text[];
BEGIN
    SELECT ARRAY(SELECT m[1] FROM regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''', 'g') AS m)
    INTO allowed FROM pg_constraint c
    WHERE c.conrelid = 'audit_log'::regclass AND c.conname = '{constraint}';
    allowed := {op_sql % {"words": words_sql}};
    EXECUTE 'ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS {constraint}';
    EXECUTE format('ALTER TABLE audit_log ADD CONSTRAINT {constraint} CHECK ({column} IN (%s))',
                   (SELECT string_agg(quote_literal(a), ', ' ORDER BY a) FROM unnest(allowed) AS a));
END
$do$;
"""  # noqa: S608 - the names and words are this file's constants, no input


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute(_extend_check("audit_log_entity_check", "entity", ENTITIES))
    op.execute(_extend_check("audit_log_action_check", "action", ACTIONS))


def downgrade() -> None:
    op.execute("DELETE FROM audit_log WHERE entity = 'problem_report' OR action IN ('verify', 'resolve', 'dismiss')")
    op.execute(_extend_check("audit_log_entity_check", "entity", ENTITIES, remove=True))
    op.execute(_extend_check("audit_log_action_check", "action", ACTIONS, remove=True))
    op.execute(DOWNGRADE)
