"""Overlays: which county, circuit or division a location or service area falls in."""

from __future__ import annotations

from geo.db import Connection, query


def assign_counties(conn: Connection, source: str) -> None:
    """Give every placed location of `source` its county FIPS (circuits follow via region_member)."""
    conn.execute(query("assign_location_county"), {"source": source})
    conn.execute(query("assign_location_county_nearest"), {"source": source, "location_ids": None})


def county_at(conn: Connection, lon: float, lat: float) -> str | None:
    """The county FIPS of one point (an edited location), by the same rule as assign_counties."""
    row = conn.execute(query("county_at_point"), {"lon": lon, "lat": lat}).fetchone()
    return row["county_fips"] if row else None
