"""Derived copies of the directory (search rows and their copy per category, map points, tile
counts): how they stay in step.

The rule and its method live in one place, `geo/sql/functions/directory_copies.sql`: triggers note
the services each statement touched, and the copies of those services are rebuilt in the same
transaction, at the latest at COMMIT, whoever wrote the change. Writers never need to call anything;
these functions let a writer (or a reader in the same transaction) have the copies up to date sooner.
"""

from __future__ import annotations

from psycopg.pq import TransactionStatus

from geo.db import Connection


def sync_copies(conn: Connection) -> int:
    """Rebuild the copies of what this transaction changed, now rather than at COMMIT. Returns the
    number of services rebuilt (-1: all of them)."""
    row = conn.execute("SELECT directory_sync() AS n").fetchone()
    assert row is not None
    return int(row["n"])


def copies_for_reading(conn: Connection) -> None:
    """Before a reader of the copies: inside a transaction that wrote, rebuild what it changed so
    it reads its own writes. Outside one (the app's autocommit connections) every change has
    already committed together with its copies: nothing to do, not even a round trip."""
    if conn.info.transaction_status == TransactionStatus.INTRANS:
        sync_copies(conn)


def refresh_copies(conn: Connection, service_ids: list[str] | None = None) -> int:
    """Rebuild the copies of these services (all when None) from the directory as it stands: for
    repairs and tests; ordinary writes are followed by the triggers."""
    if service_ids is None or service_ids:
        conn.execute("SELECT directory_note(%s)", [service_ids if service_ids is not None else ["*"]])
    return sync_copies(conn)


def analyze_changed_tables(conn: Connection) -> list[str]:
    """Statistics that include this transaction's own writes (directory_analyze in the SQL)."""
    row = conn.execute("SELECT directory_analyze() AS done").fetchone()
    assert row is not None
    return list(row["done"])
