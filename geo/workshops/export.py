"""Every workshop table as CSV. Workshops (status, dates, counts) are listed whoever asks, their
notes only where the reader may see the plan; the other tables hold only rows of workshops whose
plan the reader may see (published, or inside the key's regions)."""

from __future__ import annotations

import csv
import io

from psycopg import sql

from geo.db import Connection
from geo.errors import NotFound

# Each table, and how its rows reach their workshop.
WORKSHOP_OF = {
    "workshop": "t.id",
    "workshop_sector": "t.workshop_id",
    "workshop_barrier": "t.workshop_id",
    "workshop_priority": "t.workshop_id",
    "workshop_priority_cell": "(SELECT p.workshop_id FROM workshop_priority p WHERE p.id = t.priority_id)",
    "action_item": "t.workshop_id",
    "action_update": "(SELECT a.workshop_id FROM action_item a WHERE a.id = t.item_id)",
}
EXPORT_TABLES = tuple(WORKSHOP_OF)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Text for one cell; lists joined with '; ', a leading formula character quoted (spreadsheets
    then show it as text, never run it)."""
    if value is None:
        return ""
    text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def table_rows(conn: Connection, table: str, visible: list[int]) -> tuple[list[str], list[dict]]:
    """Columns and rows of one workshop table, limited to what the reader may see."""
    if table not in WORKSHOP_OF:
        raise NotFound(f"no workshop table {table!r}; tables are {', '.join(EXPORT_TABLES)}")
    owner = sql.SQL(WORKSHOP_OF[table])  # a constant from the table above, never user input
    where = sql.SQL("true") if table == "workshop" else sql.SQL("{} = ANY(%(visible)s)").format(owner)
    cursor = conn.execute(sql.SQL("SELECT t.* FROM {} t WHERE {} ORDER BY 1, 2").format(
        sql.Identifier(table), where), {"visible": visible})
    columns = [d.name for d in cursor.description or []]
    rows = cursor.fetchall()
    if table == "workshop":
        rows = [r if r["id"] in visible else {**r, "notes": None} for r in rows]
    return columns, rows


def table_csv(conn: Connection, table: str, visible: list[int]) -> str:
    columns, rows = table_rows(conn, table, visible)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(r[c]) for c in columns] for r in rows)
    return out.getvalue()
