"""Every id a UUID, as HSDS 3 requires.

Before this revision a service's details had ids like `<service id>:phone:0000` (phones, schedules,
languages, cost options) or `<service id>:category:<code>` (categories), and the category
taxonomy's id was `upstream-atlas-categories`. They become what `geo.ids.child_id` and
`geo.taxonomy.TAXONOMY_ID` write now: a UUID per detail, ordered by its position among the
service's details of that kind (the position the old id held, or for categories their old order),
and a UUID for the taxonomy. Ids that were already UUIDs (the editing API's) are left alone.

The SQL below computes `geo.ids.child_prefix` (SHA-256 of "parent id, unit separator, kind"):
change both together. The derived copies follow through their triggers, in this transaction.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD_TAXONOMY_ID = "upstream-atlas-categories"
NEW_TAXONOMY_ID = "9f0f67e8-4fc4-54d0-9b8c-146cbb57ba2b"  # geo.taxonomy.TAXONOMY_ID

CHILD_PREFIX = r"""
CREATE FUNCTION pg_temp.child_prefix(parent text, kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-8' || substr(h, 13, 3) || '-'
           || substr('89ab', ((('x' || substr(h, 16, 1))::bit(4)::int) & 3) + 1, 1) || substr(h, 17, 3)
    FROM (SELECT encode(sha256(convert_to(parent || chr(31) || kind, 'UTF8')), 'hex') AS h) x
$$;
"""


def _renumber(table: str, parent: str, kind: str, old_pattern: str, where: str = "true") -> str:
    """Ids matching `old_pattern` become the child ids of their parent, in their old id order
    (every argument is a constant of this module)."""
    return f"""
    UPDATE {table} t SET id = pg_temp.child_prefix(n.parent, '{kind}') || '-' || lpad(to_hex(n.position), 12, '0')
    FROM (SELECT id, {parent} AS parent,
                 row_number() OVER (PARTITION BY {parent} ORDER BY id) - 1 AS position
          FROM {table} WHERE id ~ '{old_pattern}' AND {parent} IS NOT NULL AND {where}) n
    WHERE t.id = n.id
    """  # noqa: S608


UPGRADE_TAXONOMY = f"""
INSERT INTO taxonomy (id, name, description, uri, version)
SELECT '{NEW_TAXONOMY_ID}', name, description, uri, version FROM taxonomy WHERE id = '{OLD_TAXONOMY_ID}'
ON CONFLICT (id) DO NOTHING;
UPDATE taxonomy_term SET taxonomy_id = '{NEW_TAXONOMY_ID}' WHERE taxonomy_id = '{OLD_TAXONOMY_ID}';
DELETE FROM taxonomy WHERE id = '{OLD_TAXONOMY_ID}';
"""  # noqa: S608
DOWNGRADE_TAXONOMY = UPGRADE_TAXONOMY.replace(NEW_TAXONOMY_ID, "@new@").replace(
    OLD_TAXONOMY_ID, NEW_TAXONOMY_ID).replace("@new@", OLD_TAXONOMY_ID)


def upgrade() -> None:
    op.execute(CHILD_PREFIX)
    for table, kind in (("phone", "phone"), ("schedule", "schedule"), ("language", "language"),
                        ("cost_option", "cost")):
        op.execute(_renumber(table, "service_id", kind, f":{kind}:[0-9]{{4}}$"))
    op.execute(_renumber("attribute", "link_id", "category", ":category:", "link_entity = 'service'"))
    op.execute(UPGRADE_TAXONOMY)


def downgrade() -> None:
    """Back to the old forms, by position (categories keep their order, under `:category:<code>`)."""
    for table, kind in (("phone", "phone"), ("schedule", "schedule"), ("language", "language"),
                        ("cost_option", "cost")):
        op.execute(f"""
        UPDATE {table} t SET id = n.service_id || ':{kind}:' || lpad(n.position::text, 4, '0')
        FROM (SELECT id, service_id, row_number() OVER (PARTITION BY service_id ORDER BY id) - 1 AS position
              FROM {table} WHERE id ~ '^[0-9a-f]{{8}}-[0-9a-f]{{4}}-8' AND service_id IS NOT NULL) n
        WHERE t.id = n.id""")  # noqa: S608
    op.execute("""
    UPDATE attribute a SET id = a.link_id || ':category:' || t.code
    FROM taxonomy_term t
    WHERE t.id = a.taxonomy_term_id AND a.link_entity = 'service' AND a.id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-8'""")
    op.execute(DOWNGRADE_TAXONOMY)
