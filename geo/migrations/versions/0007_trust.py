"""Trust: API keys (stored only as salted hashes) with roles and regions, and the audit trail.

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
-- An API key is shown once; we keep its public prefix (to find it) and a salted scrypt hash.
CREATE TABLE api_key (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    prefix      text NOT NULL UNIQUE,
    salt        bytea NOT NULL,
    hash        bytea NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'editor')),
    -- An editor's regions as 'kind:code' (circuit:MO-16, county:29095, division:MA-suffolk).
    regions     text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK (role = 'admin' OR cardinality(regions) > 0)
);

-- Every change through the editing API: who, when, what before and after (a whole record each).
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    key_id        bigint REFERENCES api_key(id),
    actor         text NOT NULL,
    action        text NOT NULL CHECK (action IN ('create', 'update', 'retire', 'restore')),
    entity        text NOT NULL CHECK (entity IN ('organization', 'service', 'location')),
    entity_id     text NOT NULL,
    before        jsonb,
    after         jsonb,
    restored_from bigint REFERENCES audit_log(id)
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_key ON audit_log (key_id, id);
"""

DOWNGRADE = "DROP TABLE IF EXISTS audit_log, api_key;"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
