"""The public service points as maps read them: `service_map_point` (migration 0006), refreshed
whenever its source tables changed, so a service made confidential is gone from the next map or
tile. Only public services are ever in it."""

from __future__ import annotations

from typing import Any

import orjson

from geo.db import Connection, query

REFRESH_LOCK = 0x61746C73  # pg advisory lock key: one refresher at a time


def _refresh_state(conn: Connection) -> tuple[int, bool, bool]:
    """The data version the views should show, whether they already show it, and whether they
    were ever populated (only then can they be refreshed concurrently)."""
    state = conn.execute(
        """SELECT (SELECT last_value FROM map_data_version_seq) AS current,
                  (SELECT version FROM service_map_refresh) AS done,
                  (SELECT ispopulated FROM pg_matviews WHERE matviewname = 'service_map_point') AS populated"""
    ).fetchone()
    assert state is not None
    populated = bool(state["populated"])
    return state["current"], populated and state["current"] == state["done"], populated


def _refresh(conn: Connection, version: int, *, concurrently: bool) -> None:
    how = "CONCURRENTLY " if concurrently else ""
    conn.execute(f"REFRESH MATERIALIZED VIEW {how}service_map_point")
    conn.execute(f"REFRESH MATERIALIZED VIEW {how}service_map_cell")
    conn.execute("UPDATE service_map_refresh SET version = %s, refreshed_at = now()", [version])


def ensure_service_points_fresh(conn: Connection) -> bool:
    """Refresh service_map_point (and its cell counts) when any of its source tables changed since
    the last refresh, so no map or tile shows a service that has since become confidential.
    True when it refreshed."""
    version, fresh, _populated = _refresh_state(conn)
    if fresh:
        return False
    if not conn.autocommit:
        # Inside a caller's transaction (tests, scripts): refresh what this transaction sees.
        conn.execute("SET LOCAL statement_timeout = 0")
        _refresh(conn, version, concurrently=False)
        return True
    # A refresh after a big import can outlast the pool's statement timeout; it must finish.
    conn.execute("SET statement_timeout = 0")
    conn.execute("SELECT pg_advisory_lock(%s)", [REFRESH_LOCK])
    try:
        version, fresh, populated = _refresh_state(conn)
        if fresh:
            return False  # another request refreshed it while we waited
        _refresh(conn, version, concurrently=populated)
        return True
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", [REFRESH_LOCK])
        conn.execute("RESET statement_timeout")


def service_map_geojson_text(
    conn: Connection,
    *,
    state_fips: str | None = None,
    county_fips: list[str] | None = None,
    category: str | None = None,
    stage: str | None = None,
    limit: int = 50_000,
) -> str:
    """Public service points for a map layer as GeoJSON text, with what their popups show."""
    ensure_service_points_fresh(conn)
    row = conn.execute(
        query("service_map_geojson"),
        {"state_fips": state_fips, "county_fips": county_fips, "category": category, "stage": stage,
         "limit": limit},
    ).fetchone()
    assert row is not None
    return row["collection"]


def service_map_geojson(conn: Connection, **filters: Any) -> dict:
    """The same, parsed (for exports and tests)."""
    return orjson.loads(service_map_geojson_text(conn, **filters))
