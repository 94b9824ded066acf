"""Reading services for maps. Confidential sites are filtered out here, in SQL, so no caller can
forget to."""

from __future__ import annotations

from geo.db import Connection, query


def service_points_geojson(
    conn: Connection,
    *,
    state_fips: str | None = None,
    county_fips: list[str] | None = None,
    category: str | None = None,
    stage: str | None = None,
    limit: int = 50_000,
) -> dict:
    row = conn.execute(
        query("service_points_geojson"),
        {"state_fips": state_fips, "county_fips": county_fips, "category": category, "stage": stage,
         "limit": limit},
    ).fetchone()
    assert row is not None
    return row["collection"]
