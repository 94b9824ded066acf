"""The audit trail: every change through the editing API, with the whole record before and after,
so an admin can see who changed what and put an earlier version back."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from geo.db import Connection
from geo.errors import NotFound
from geo.keys import ApiKey

ENTITIES = ("organization", "service", "location",  # the directory (geo/edits)
            "workshop", "workshop_barrier", "workshop_priority", "action_item", "action_update",  # geo/workshops
            "problem_report")  # geo/review
AUDIT_COLUMNS = "id, at, key_id, actor, action, entity, entity_id, before, after, restored_from"


def record(
    conn: Connection,
    key: ApiKey,
    action: str,
    entity: str,
    entity_id: str,
    before: dict | None,
    after: dict | None,
    restored_from: int | None = None,
) -> int:
    """Write one audit row; callers do this inside the same transaction as the change itself."""
    row = conn.execute(
        """INSERT INTO audit_log (key_id, actor, action, entity, entity_id, before, after, restored_from)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        [key.id, key.name, action, entity, entity_id,
         None if before is None else Jsonb(before), None if after is None else Jsonb(after), restored_from],
    ).fetchone()
    assert row is not None
    return row["id"]


def list_entries(
    conn: Connection,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[dict]:
    """Newest first, paged by id (keyset: `before_id` is the last id of the previous page)."""
    return conn.execute(
        f"""SELECT {AUDIT_COLUMNS} FROM audit_log
            WHERE (%(entity)s::text IS NULL OR entity = %(entity)s)
              AND (%(entity_id)s::text IS NULL OR entity_id = %(entity_id)s)
              AND (%(before_id)s::bigint IS NULL OR id < %(before_id)s)
            ORDER BY id DESC LIMIT %(limit)s""",  # noqa: S608 - a constant column list, values are parameters
        {"entity": entity, "entity_id": entity_id, "before_id": before_id, "limit": limit},
    ).fetchall()


def entry(conn: Connection, audit_id: int) -> dict:
    row = conn.execute(
        f"SELECT {AUDIT_COLUMNS} FROM audit_log WHERE id = %s", [audit_id]  # noqa: S608 - constant columns
    ).fetchone()
    if row is None:
        raise NotFound(f"no audit entry {audit_id}")
    return row
