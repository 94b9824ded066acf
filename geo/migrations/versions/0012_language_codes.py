"""Languages are ISO 639 codes: every stored language row gets the code its code or name stands for.

Sheets stored a language by its words ("Spanish", code NULL), so the nearby search's language filter,
which matches codes, missed those services. Each row now holds what `geo.languages` (the one
normaliser every writer uses) makes of it: the ISO 639 code and the English name. A row naming no
language the normaliser knows keeps its words as the name, with a NULL code.

The search table's language columns of the services whose rows changed are rebuilt in the same
transaction, with the expressions its refresh uses, so search agrees with the rows at the commit.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

from alembic import op
from psycopg.rows import tuple_row

from geo.languages import normalised_row

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

CHANGE_ROWS = """
CREATE TEMP TABLE language_fix (code text, name text, new_code text, new_name text);
"""
APPLY = """
WITH changed AS (
    UPDATE language l SET code = f.new_code, name = f.new_name
    FROM language_fix f
    WHERE coalesce(l.code, '') = coalesce(f.code, '') AND coalesce(l.name, '') = coalesce(f.name, '')
    RETURNING l.service_id
)
SELECT DISTINCT service_id FROM changed WHERE service_id IS NOT NULL
"""
SEARCH_HAS_LANGUAGES = """
SELECT count(*) = 2 FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = 'service_point' AND column_name IN ('languages', 'doc')
"""
REFRESH_SEARCH = """
UPDATE service_point sp
SET languages = coalesce(lang.codes, '{}'), doc = jsonb_set(sp.doc, '{languages}', coalesce(lang.list, '[]'))
FROM (
    SELECT service_id, array_agg(DISTINCT lower(code)) FILTER (WHERE code IS NOT NULL) AS codes,
           jsonb_agg(jsonb_build_object('code', code, 'name', name) ORDER BY code, name) AS list
    FROM language WHERE service_id = ANY(%s)
    GROUP BY service_id
) lang
WHERE sp.service_id = lang.service_id
"""


def migrate_language_rows(conn: Any) -> list[str]:
    """Normalise every language row (a psycopg connection, in the caller's transaction); returns
    the services whose rows changed, their search rows already in step."""
    cur = conn.cursor(row_factory=tuple_row)
    pairs = cur.execute("SELECT DISTINCT code, name FROM language").fetchall()
    fixes = [(code, name, *new) for code, name in pairs if (new := normalised_row(code, name)) != (code, name)]
    if not fixes:
        return []
    cur.execute(CHANGE_ROWS)
    cur.executemany("INSERT INTO language_fix VALUES (%s, %s, %s, %s)", fixes)
    services = [r[0] for r in cur.execute(APPLY).fetchall()]
    cur.execute("DROP TABLE language_fix")
    searchable = cur.execute(SEARCH_HAS_LANGUAGES).fetchone()
    if services and searchable and searchable[0]:
        cur.execute(REFRESH_SEARCH, [services])
    return services


def upgrade() -> None:
    migrate_language_rows(op.get_bind().connection.driver_connection)


def downgrade() -> None:
    """Nothing to undo: the codes are what the schema before this revision meant to hold."""
