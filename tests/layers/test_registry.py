"""The layer registry and the folium maps composed from it."""

from __future__ import annotations

from geo.scope import RegionRef
from layers.export import collection_csv
from layers.folium_map import build_map, render
from layers.registry import LAYERS, LayerFilter


def test_registry_has_boundaries_services_and_desert_layers_each_with_legend_and_popup():
    assert set(LAYERS) >= {"counties", "courts", "services", "deserts", "rollups"}
    for layer in LAYERS.values():
        assert layer.legend and layer.popup and layer.style


def test_a_circuit_scope_gives_its_counties_its_own_outline_and_only_its_services(conn):
    f = LayerFilter(scope=RegionRef("circuit", "MO-13"))
    counties = {x["properties"]["code"] for x in LAYERS["counties"].fetch(conn, f)["features"]}
    assert counties == {"29019", "29027"}  # Boone and Callaway
    courts = [x["properties"]["code"] for x in LAYERS["courts"].fetch(conn, f)["features"]]
    assert courts == ["MO-13"]
    services = LAYERS["services"].fetch(conn, f)["features"]
    assert services and {s["properties"]["county_fips"] for s in services} <= counties


def test_a_county_scope_shows_the_circuit_it_belongs_to(conn):
    courts = LAYERS["courts"].fetch(conn, LayerFilter(scope=RegionRef("county", "29019")))
    assert [x["properties"]["code"] for x in courts["features"]] == ["MO-13"]


def test_composed_map_has_layer_control_legend_per_layer_and_no_data_inline(conn):
    layers = [(LAYERS[n], f"/api/layers/{n}.geojson") for n in ("counties", "deserts", "services")]
    page = render(build_map(layers, bounds=(-95.8, 36.0, -89.1, 40.6), title="<b>Title</b>"))
    assert "L.control.layers" in page
    assert 'data-layer="deserts"' in page and 'data-layer="services"' in page
    assert "&lt;b&gt;Title&lt;/b&gt;" in page and "<b>Title</b>" not in page
    assert "Sample:" not in page  # data is fetched by the browser, never pasted into the page


def test_csv_download_quotes_formulas_and_keeps_point_coordinates():
    csv_text = collection_csv({"features": [
        {"properties": {"name": "=HYPERLINK(\"x\")", "categories": ["food", "legal-aid"], "_class": 1},
         "geometry": {"type": "Point", "coordinates": [-92.3, 38.9]}}]})
    header, row = csv_text.strip().split("\n")
    assert header == "name,categories,lon,lat"
    assert row.startswith("\"'=HYPERLINK") and "food, legal-aid" in row and row.endswith("-92.3,38.9")
