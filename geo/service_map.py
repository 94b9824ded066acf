"""The public service points as maps read them: `service_map_point`, rebuilt with the directory in
the writing transaction (geo/copies.py), so a service made confidential leaves the map the moment
its change commits. Only public services are ever in it."""

from __future__ import annotations

from typing import Any

import orjson

from geo.copies import copies_for_reading
from geo.db import Connection, query


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
    copies_for_reading(conn)
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
