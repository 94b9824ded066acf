"""The freshness layer: a region's counties by the share of their listings verified recently."""

from __future__ import annotations

from geo.scope import RegionRef
from layers.freshness import BANDS
from layers.registry import LAYERS, LayerFilter


def _by_county(conn, months: int = 12) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    layer = LAYERS["freshness"].fetch(conn, LayerFilter(scope=RegionRef("circuit", "MO-13"),
                                                        verify_max_age_months=months))
    return {f["properties"]["code"]: f for f in layer["features"]} | {"_legend": layer["legend"]}


def test_counties_are_classed_by_the_share_verified_and_the_legend_counts_them(conn):
    conn.execute("UPDATE service SET assured_date = NULL")
    before = _by_county(conn)
    boone = before["29019"]["properties"]
    assert boone["services"] > 0 and boone["verified"] == 0 and boone["share_verified"] == 0
    assert boone["_class"] == 1  # the lowest band, not "no listings"
    conn.execute("""UPDATE service SET assured_date = current_date - 30 WHERE id IN (
                        SELECT service_id FROM service_point WHERE county_fips = '29019')""")
    after = _by_county(conn)
    boone = after["29019"]["properties"]
    assert boone["verified"] == boone["services"] and boone["share_verified"] == 1.0
    assert boone["_class"] == len(BANDS) and boone["_value"] == "100 % verified"
    legend = after["_legend"]
    assert sum(c["count"] for c in legend["classes"]) == len(after) - 1  # every county in one class
    assert "12 months" in legend["title"]
    stale = _by_county(conn, months=0)["29019"]["properties"]  # a month ago is past an age of 0
    assert stale["verified"] == 0
