"""A record's editable state as JSON, read in one statement per kind (geo/sql/edit_snapshot_*.sql):
what the audit trail keeps as before/after and what restore puts back."""

from __future__ import annotations

from psycopg import sql

from geo.db import Connection, query
from geo.errors import NotFound
from geo.taxonomy import TAXONOMY


def snapshot(conn: Connection, entity: str, record_id: str) -> dict | None:
    """The editable state of one record as JSON: what the audit trail keeps and restore puts back."""
    row = conn.execute(query(f"edit_snapshot_{entity}"),  # type: ignore[call-overload]
                       {"id": record_id, "taxonomy": TAXONOMY}).fetchone()
    return row["snap"] if row else None


def existing(conn: Connection, entity: str, record_id: str, *, lock: bool = False) -> dict:
    """The record's snapshot, or NotFound; `lock` holds its row until the transaction ends, so two
    concurrent edits are applied (and audited) one after the other, each with the right `before`."""
    if lock:
        conn.execute(sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR UPDATE").format(sql.Identifier(entity)),
                     [record_id])
    snap = snapshot(conn, entity, record_id)
    if snap is None:
        raise NotFound(f"no {entity} {record_id!r}")
    return snap
