"""The freshness layer: a region's counties coloured by the share of their listings confirmed within
the verification age, with their open problem reports, for planners deciding where to re-verify."""

from __future__ import annotations

from geo.db import Connection
from geo.regions import regions_geojson
from geo.review.queue import freshness
from geo.scope import RegionRef
from layers.classes import ClassBin, legend_json

# (lowest share, highest share, colour, label): more verified is darker; no listings is neutral.
BANDS = ((0.0, 0.25, "#fde68a", "under 25 %"), (0.25, 0.5, "#bef264", "25–49 %"),
         (0.5, 0.75, "#4ade80", "50–74 %"), (0.75, 1.0, "#15803d", "75 % or more"))
NO_LISTINGS = "#e5e7eb"


def freshness_layer(conn: Connection, scope: RegionRef, months: int) -> dict:
    """Counties of `scope` with listings, verified (within `months`), their share and open reports;
    `_class` is the share's band (the first class: no listings)."""
    rows = {r["code"]: r for r in freshness(conn, scope, months) if r["kind"] == "county"}
    collection = regions_geojson(conn, kind="county", scope=scope, tolerance_deg=0.001)
    counts = [0] * (len(BANDS) + 1)
    for feature in collection["features"]:
        props = feature["properties"]
        row = rows.get(props["code"], {})
        share = row.get("share_verified")
        band = 0 if share is None else 1 + next(i for i, b in enumerate(BANDS) if share < b[1] or i == len(BANDS) - 1)
        counts[band] += 1
        props.update(services=row.get("services", 0), verified=row.get("verified", 0), share_verified=share,
                     open_reports=row.get("open_reports", 0), _class=band,
                     _value="no listings" if share is None else f"{round(100 * share)} % verified")
    bins = [ClassBin(-1, -1, counts[0], NO_LISTINGS, "No listings")] + [
        ClassBin(lo, hi, counts[i + 1], color, label) for i, (lo, hi, color, label) in enumerate(BANDS)]
    return {**collection, "legend": legend_json(f"Listings verified in the last {months} months", bins,
                                                scheme="freshness")}
