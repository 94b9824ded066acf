"""Workshops: from a region's gaps to its barriers, priorities and action plan, and the follow-up.

One workshop per court region or county (`workshop`), with how many people came from each sector
(`workshop_sector`; counts only, never names). The partners name barriers (`workshop_barrier`),
agree ranked priorities (`workshop_priority`), each tied to cells of the region's gap matrix
(`workshop_priority_cell`) with the figures of that moment copied in (`then_*`: later runs replace
the desert rows, so the figures must be kept as values, not as references), and write an action
plan (`action_item`) that each quarterly meeting updates (`action_update`).

Every change is audited in `audit_log` like the directory's, so its entity and action checks grow.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-03
"""

from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = ("0007", "0005")  # audit_log and api_key; desert_rollup (read, not referenced)

UPGRADE = """
CREATE TABLE workshop (
    id               bigserial PRIMARY KEY,
    region_kind      text NOT NULL CHECK (region_kind IN ('circuit', 'division', 'county')),
    region_code      text NOT NULL,
    title            text NOT NULL,
    status           text NOT NULL DEFAULT 'planned'
                     CHECK (status IN ('planned', 'held', 'plan_adopted', 'follow_up')),
    planned_on       date,
    held_on          date,
    plan_adopted_on  date,
    next_meeting_on  date,
    notes            text NOT NULL DEFAULT '',
    -- Barriers, priorities and the action plan are public once published; status and counts always.
    published        boolean NOT NULL DEFAULT false,
    is_sample        boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (region_kind, region_code),
    FOREIGN KEY (region_kind, region_code) REFERENCES region (kind, code)
);

CREATE TABLE workshop_sector (
    workshop_id  bigint NOT NULL REFERENCES workshop (id) ON DELETE CASCADE,
    sector       text NOT NULL,
    participants integer NOT NULL CHECK (participants >= 0),
    PRIMARY KEY (workshop_id, sector)
);

CREATE TABLE workshop_barrier (
    id           bigserial PRIMARY KEY,
    workshop_id  bigint NOT NULL REFERENCES workshop (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    category     text,           -- a kind of help (taxonomy_term.code), optional
    stage        text,           -- a landscape stage code, optional
    counties     text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workshop_barrier_workshop ON workshop_barrier (workshop_id, id);

CREATE TABLE workshop_priority (
    id           bigserial PRIMARY KEY,
    workshop_id  bigint NOT NULL REFERENCES workshop (id) ON DELETE CASCADE,
    rank         integer NOT NULL CHECK (rank >= 1),
    title        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    set_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workshop_id, rank) DEFERRABLE INITIALLY DEFERRED
);

-- One gap-matrix cell a priority is about, with the figures as they were when it was set.
CREATE TABLE workshop_priority_cell (
    priority_id              bigint NOT NULL REFERENCES workshop_priority (id) ON DELETE CASCADE,
    category                 text NOT NULL,
    stage                    text NOT NULL,  -- a stage code, or 'all' as in /api/gaps
    then_population_uncovered double precision NOT NULL,
    then_share_uncovered     double precision,
    then_services            integer NOT NULL,
    then_run_id              bigint NOT NULL,  -- no foreign key: a later run replaces this one
    then_finished_at         timestamptz,
    PRIMARY KEY (priority_id, category, stage)
);

CREATE TABLE action_item (
    id                   bigserial PRIMARY KEY,
    workshop_id          bigint NOT NULL REFERENCES workshop (id) ON DELETE CASCADE,
    priority_id          bigint REFERENCES workshop_priority (id) ON DELETE SET NULL,
    what                 text NOT NULL,
    lead_organization_id text REFERENCES organization (id) ON DELETE SET NULL,
    partners             text[] NOT NULL DEFAULT '{}',
    due_on               date,
    status               text NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'in_progress', 'done', 'dropped')),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX action_item_workshop ON action_item (workshop_id, id);
CREATE INDEX action_item_lead ON action_item (lead_organization_id);

CREATE TABLE action_update (
    id           bigserial PRIMARY KEY,
    item_id      bigint NOT NULL REFERENCES action_item (id) ON DELETE CASCADE,
    quarter      text NOT NULL CHECK (quarter ~ '^[0-9]{4}-Q[1-4]$'),
    body         text NOT NULL,
    status       text NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'dropped')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX action_update_item ON action_update (item_id, id);

ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_entity_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_entity_check CHECK (entity IN (
    'organization', 'service', 'location',
    'workshop', 'workshop_barrier', 'workshop_priority', 'action_item', 'action_update'));
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('create', 'update', 'retire', 'restore', 'delete'));
"""

DOWNGRADE = """
DELETE FROM audit_log WHERE entity IN
    ('workshop', 'workshop_barrier', 'workshop_priority', 'action_item', 'action_update');
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_entity_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_entity_check
    CHECK (entity IN ('organization', 'service', 'location'));
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('create', 'update', 'retire', 'restore'));
DROP TABLE IF EXISTS action_update, action_item, workshop_priority_cell, workshop_priority,
    workshop_barrier, workshop_sector, workshop;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
