"""Overlays: which county (and so which circuit or division) a point falls in. The one county rule
for every writer of the directory: imports, the sample loader and edits all place a location here."""

from __future__ import annotations

import numpy as np
import shapely

from geo.db import Connection, query


def counties_of_points(conn: Connection, lons: list[float], lats: list[float]) -> list[str | None]:
    """The county FIPS of each point: the county containing it, else the nearest county within 5 km
    in metres on the ellipsoid (a point on a river or a coast), else None.

    Containment is one vectorised STRtree query over the counties in the points' bounding box (well
    under a second for 100,000 points, where a row-by-row SQL join takes minutes); the few points
    left outside every county go to counties_near_points.sql in one round trip."""
    if not lons:
        return []
    x, y = np.asarray(lons, float), np.asarray(lats, float)
    rows = conn.execute(
        """SELECT code, ST_AsBinary(geom) AS wkb FROM region
           WHERE kind = 'county' AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)""",
        [float(x.min()), float(y.min()), float(x.max()), float(y.max())],
    ).fetchall()
    result: list[str | None] = [None] * len(lons)
    if rows:
        codes = [r["code"] for r in rows]
        tree = shapely.STRtree(shapely.from_wkb([r["wkb"] for r in rows]))
        point_idx, county_idx = tree.query(shapely.points(x, y), predicate="intersects")
        for p, c in zip(point_idx.tolist(), county_idx.tolist(), strict=True):
            if result[p] is None:
                result[p] = codes[c]
    outside = [i for i, county in enumerate(result) if county is None]
    if outside:
        near = conn.execute(query("counties_near_points"),
                            {"lons": [lons[i] for i in outside], "lats": [lats[i] for i in outside]})
        for row in near:
            result[outside[row["n"] - 1]] = row["county_fips"]
    return result


def county_at(conn: Connection, lon: float, lat: float) -> str | None:
    """The county FIPS of one point (an edited location)."""
    return counties_of_points(conn, [lon], [lat])[0]


def assign_counties(conn: Connection, source: str) -> int:
    """Give every placed location of `source` that has none its county (for rows written outside the
    directory writer, such as test fixtures and bench loaders). Returns the locations placed."""
    rows = conn.execute("""SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM location
                           WHERE source = %s AND geom IS NOT NULL AND county_fips IS NULL""", [source]).fetchall()
    counties = counties_of_points(conn, [r["lon"] for r in rows], [r["lat"] for r in rows])
    conn.execute("""UPDATE location l SET county_fips = u.county
                    FROM unnest(%s::text[], %s::text[]) AS u(id, county)
                    WHERE l.id = u.id AND u.county IS NOT NULL""", [[r["id"] for r in rows], counties])
    return sum(1 for c in counties if c is not None)
