"""Desert layers: choropleth classes from mapclassify, legends with the breaks, the latest run
winning, and a clear note when nothing has been computed."""

from __future__ import annotations

import math

from geo.deserts.results import NO_RESULTS_NOTE
from geo.scope import RegionRef
from layers.classes import NO_GAP_COLOR, classify
from layers.registry import LAYERS, LayerFilter

MISSOURI = LayerFilter(state_fips="29", category="food")


def test_classify_puts_each_value_in_the_class_whose_range_holds_it():
    values = [1, 2, 3, 10, 11, 12, 50, 51, 100, None]
    classes, bins = classify(values, scheme="NaturalBreaks", k=3)
    assert len(bins) == 3 and classes[-1] is None
    for value, cls in zip(values[:-1], classes[:-1], strict=True):
        assert cls is not None and bins[cls].lower <= value <= bins[cls].upper
    assert sum(b.count or 0 for b in bins) == 9
    assert bins[0].color != bins[-1].color


def test_classify_with_fewer_distinct_values_than_classes_gives_one_class_per_value():
    classes, bins = classify([0, 0, 5, 5], scheme="Quantiles", k=5)
    assert [b.label for b in bins] == ["0", "0 – 5"] and classes == [0, 0, 1, 1]


def test_desert_cells_are_classed_by_the_measure_and_come_from_the_latest_run(conn, desert_results):
    data = LAYERS["deserts"].fetch(conn, LayerFilter(state_fips="29", category="food", measure="distance"))
    assert len(data["features"]) == 6
    assert {f["properties"]["run_id"] for f in data["features"]} == {desert_results["new"]}
    assert all(f["properties"]["distance_m"] < 99_999 for f in data["features"])
    legend = data["legend"]
    assert legend["title"].startswith("Cells of about 5 km²") and len(legend["classes"]) == 5
    assert all(" mi" in c["label"] and " km)" in c["label"] for c in legend["classes"])  # fixed bands, units
    farthest = max(data["features"], key=lambda f: f["properties"]["distance_m"])  # 26 km = 16.2 mi
    assert legend["classes"][farthest["properties"]["_class"]]["label"] == "10 to 19.9 mi (16–32 km)"
    assert farthest["properties"]["_value"] == "16.2 mi (26.0 km)"


def test_desert_cells_outside_the_scope_are_left_out(conn, desert_results):
    data = LAYERS["deserts"].fetch(conn, LayerFilter(scope=RegionRef("county", "29510"), category="food"))
    assert data["features"] == [] and data["legend"]["classes"] == []


def test_rollups_colour_regions_by_share_beyond_reach_with_breaks_in_percent(conn, desert_results):
    data = LAYERS["rollups"].fetch(conn, LayerFilter(state_fips="29", category="food", measure="share_uncovered"))
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert set(by_code) == {"29019", "29051", "29027", "29089"}
    assert by_code["29027"]["_class"] > by_code["29019"]["_class"]  # 80% beyond reach is darker than 10%
    assert all("%" in c["label"] for c in data["legend"]["classes"])
    assert data["legend"]["classes"][0]["color"] == NO_GAP_COLOR  # nobody beyond reach is not amber
    assert by_code["29027"]["_value"] == "80%"
    circuits = LAYERS["rollups"].fetch(conn, LayerFilter(scope=RegionRef("circuit", "MO-13"), category="food",
                                                         rollup_kind="circuit"))
    assert [f["properties"]["code"] for f in circuits["features"]] == ["MO-13"]


def test_desert_layers_are_empty_with_a_note_when_no_results_were_computed(no_desert_results):
    for name in ("deserts", "rollups"):
        data = LAYERS[name].fetch(no_desert_results, MISSOURI)
        assert data["features"] == [] and data["legend"]["note"] == NO_RESULTS_NOTE


def test_desert_tiles_carry_the_latest_cells_and_are_empty_without_results(conn, desert_results):
    import mapbox_vector_tile

    from geo.tiles import render_tile
    from tests.service.test_tiles import tile_of

    x, y = tile_of(-92.33, 38.95, 8)
    layer = mapbox_vector_tile.decode(render_tile(conn, "deserts", 8, x, y, category="food"))["deserts"]
    props = [f["properties"] for f in layer["features"]]
    assert len(props) == 6 and max(p["distance_m"] for p in props) < 99_999  # the newer run only
    assert {"h3", "covered", "population", "access_2sfca"} <= set(props[0])
    assert layer["features"][0]["geometry"]["type"] == "Polygon"
    assert render_tile(conn, "deserts", 8, x, y, category="legal-aid") == b""
    conn.execute("DROP TABLE desert_rollup, desert_measure, desert_run CASCADE")
    assert render_tile(conn, "deserts", 8, x, y, category="food") == b""


def test_desert_tiles_name_the_boxes_outside_which_every_tile_is_empty(conn, desert_results):
    from geo.tiles import render_tile
    from layers.deserts import desert_tiles

    extents = desert_tiles(conn, category="food", stage=None, measure=None, category_name="Food")["extents"]
    assert extents and all(w < e and s < n for w, s, e, n in extents)

    def lon_lat(z: int, x: int, y: int) -> tuple[float, float]:  # a tile corner
        return x / 2**z * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / 2**z))))

    drawn = 0
    for x in range(58, 67):
        for y in range(94, 103):
            (w, n), (e, s) = lon_lat(8, x, y), lon_lat(8, x + 1, y + 1)
            meets = any(w <= be and e >= bw and s <= bn and n >= bs for bw, bs, be, bn in extents)
            tile = render_tile(conn, "deserts", 8, x, y, category="food")
            assert meets or tile == b"", (x, y)
            drawn += bool(tile)
    assert drawn > 0
