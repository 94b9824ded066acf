"""Reading desert results (written by `atlas deserts compute` into desert_run, desert_cell and
desert_rollup) for maps. When no results were ever computed, the tables may not exist: callers get
empty collections and `desert_results_exist` says why."""

from __future__ import annotations

from geo.db import Connection, query
from geo.scope import Scope

DESERT_TABLES = ("desert_run", "desert_cell", "desert_rollup")
NO_RESULTS_NOTE = "no desert results computed yet — run atlas deserts compute"
EMPTY: dict = {"type": "FeatureCollection", "features": []}


def desert_results_exist(conn: Connection) -> bool:
    """True once any desert run has finished (checking first, with to_regclass, that the engine's
    tables are there at all: no error, no lock)."""
    row = conn.execute(
        "SELECT bool_and(to_regclass(t) IS NOT NULL) AS ok FROM unnest(%s::text[]) t", [list(DESERT_TABLES)]
    ).fetchone()
    if not (row and row["ok"]):
        return False
    return conn.execute("SELECT 1 FROM desert_run WHERE finished_at IS NOT NULL LIMIT 1").fetchone() is not None


def desert_cells_geojson(
    conn: Connection, scope: Scope, *, category: str | None, stage: str | None, limit: int = 40_000
) -> dict:
    """H3 cells of the latest finished run per cell inside a scope, with every measure as a
    property; distances in metres on the ellipsoid, as the engine computed them."""
    if not desert_results_exist(conn):
        return EMPTY
    row = conn.execute(
        query("map_desert_cells_geojson"),
        {"scope_kind": scope.kind, "scope_code": scope.code, "category": category, "stage": stage,
         "limit": limit},
    ).fetchone()
    assert row is not None
    return row["collection"]


def desert_rollups_geojson(
    conn: Connection, scope: Scope, *, region_kind: str, category: str | None, stage: str | None,
    tolerance_deg: float = 0.002,
) -> dict:
    """Per-region rollups (share of people beyond reach, mean distance, access) of the latest
    finished run, drawn on the region's shape, for regions of `region_kind` in a scope."""
    if not desert_results_exist(conn):
        return EMPTY
    row = conn.execute(
        query("desert_rollups_geojson"),
        {"scope_kind": scope.kind, "scope_code": scope.code, "region_kind": region_kind,
         "category": category, "stage": stage, "tolerance_deg": tolerance_deg},
    ).fetchone()
    assert row is not None
    return row["collection"]
