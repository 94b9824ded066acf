"""Connections: one pool for the app, plain connections for the CLI, and the named SQL files."""

from __future__ import annotations

from functools import cache
from importlib import resources

import psycopg
import psycopg.sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from geo.settings import Settings

# Every connection we make returns rows as dicts.
Connection = psycopg.Connection[DictRow]


def connect(settings: Settings, *, autocommit: bool = False) -> Connection:
    """A single connection for batch work (CLI, loaders, tests)."""
    return psycopg.connect(settings.url(), autocommit=autocommit, row_factory=dict_row)


def make_pool(settings: Settings, *, open_now: bool = False) -> ConnectionPool:
    """The app's one pool. `check` pings each connection on checkout, so the pool heals after a
    PostgreSQL restart without restarting the app. A short reconnect_timeout keeps the backoff
    between reconnection attempts at about a second: back within ~1 s of the database."""
    return ConnectionPool(
        settings.url(),
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        kwargs={
            "row_factory": dict_row,
            "autocommit": True,
            "options": f"-c statement_timeout={settings.statement_timeout_ms}",
        },
        check=ConnectionPool.check_connection,
        reconnect_timeout=2,
        timeout=5,
        open=open_now,
        name="atlas",
    )


@cache
def query(name: str) -> str:
    """The text of `geo/sql/<name>.sql`: SQL that matters lives in files a reader can open."""
    return resources.files("geo").joinpath("sql", f"{name}.sql").read_text()


def copy_rows(conn: Connection, table: str, columns: list[str], rows: list[tuple]) -> int:
    """Bulk-load rows with COPY: the fast path for loaders (not row-by-row INSERTs)."""
    statement = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg.sql.Identifier(table), psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, columns))
    )
    with conn.cursor().copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)
