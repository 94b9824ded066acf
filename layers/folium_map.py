"""Compose folium maps from the layer registry.

Folium draws the frame (map, basemap, layer control, legend). Layer data is fetched by the browser
from the JSON API and drawn by static/atlas-map.js, whose popups are built with DOM text nodes:
user-supplied names can never become markup, and no data is pasted into an inline <script>.
"""

from __future__ import annotations

import html
import json
import re
from typing import cast

import folium
import folium.plugins

from layers.registry import Layer

LOCAL_JS = [("leaflet", "/static/vendor/leaflet/leaflet.js"),
            ("markercluster", "/static/vendor/markercluster/leaflet.markercluster.js"),
            ("atlas_tiles", "/static/atlas-tiles.js"), ("atlas_map", "/static/atlas-map.js")]
LOCAL_CSS = [("leaflet_css", "/static/vendor/leaflet/leaflet.css"),
             ("markercluster_css", "/static/vendor/markercluster/MarkerCluster.css"),
             ("markercluster_default_css", "/static/vendor/markercluster/MarkerCluster.Default.css"),
             ("atlas_css", "/static/atlas.css")]


def _script_json(value: object) -> str:
    """JSON safe to place inside a <script>: no '<', '>' or '&' that could close the tag."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def build_map(
    layers: list[tuple[Layer, str]],
    *,
    bounds: tuple[float, float, float, float] | None,
    title: str,
    note: str = "",
    basemap: bool = True,
    compact: bool = False,
    tiles: dict[str, dict] | None = None,
    collapsed_layers: bool | None = None,
) -> folium.Map:
    """A map with one toggleable group per (layer, data URL); bounds is (minx, miny, maxx, maxy).
    A layer named in `tiles` is drawn from vector tiles instead ({"url": …{z}/{x}/{y}…,
    "native_zoom": n, "legend": {…}}), and its URL is not fetched."""
    tiles = tiles or {}
    # maxZoom is set here: without a basemap layer Leaflet has none, and marker clustering needs it.
    m = folium.Map(tiles=None, prefer_canvas=True, control_scale=True)
    m.options["maxZoom"] = 19
    m.default_js = LOCAL_JS
    m.default_css = LOCAL_CSS
    if basemap:
        # Loaded by the viewer's browser; the map still draws boundaries and points without it.
        folium.TileLayer("OpenStreetMap", name="Basemap (OpenStreetMap)", control=True).add_to(m)
    if bounds:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    specs = []
    for layer, url in layers:
        group = folium.FeatureGroup(name=layer.title, show=layer.show).add_to(m)
        specs.append({
            "group": group.get_name(), "url": url, "name": layer.name, "geometry": layer.geometry,
            "style": layer.style, "popup": [list(p) for p in layer.popup], "cluster": layer.cluster,
            "choropleth": layer.choropleth, "tiles": tiles.get(layer.name),
            "action": list(layer.action) if layer.action else None,
        })
    # Collapsed, the layer list is a button until opened: it never covers a page's own controls.
    folium.LayerControl(collapsed=compact if collapsed_layers is None else collapsed_layers).add_to(m)
    # Start downloading layer data while the map library loads (atlas-map.js fetches the same URLs).
    for layer, url in layers:
        if layer.name in tiles:
            continue
        _root(m).header.add_child(folium.Element(
            f'<link rel="preload" as="fetch" crossorigin="anonymous" href="{html.escape(url)}">'))
    if compact:
        m.options["minZoom"] = 5  # an embed shows one region; fewer zoom levels to cluster
    legend = "".join(
        f'<li data-layer="{html.escape(layer.name)}"><span class="swatch" '
        f'style="border-color:{html.escape(layer.style.get("color", "#333"))}"></span>'
        f"{html.escape(layer.title if compact else layer.legend or layer.title)}</li>"
        for layer, _ in layers
    )
    body = (f'<ul>{legend}</ul>{f"<p class=note>{html.escape(note)}</p>" if note else ""}'
            f'<p class="status" aria-live="polite"></p>')
    # A legend the reader can fold, open on a desktop and in print. A full page's is folded by
    # atlas-map.js on a phone (it hid half the map); an embed's (compact) is small, with short names,
    # and atlas-map.js leaves it open.
    box = (f'<section aria-label="Legend"><details open class="atlas-legend{" compact" if compact else ""}">'
           f"<summary><strong>Legend</strong> <span class=legend-place>{html.escape(title)}</span>"
           f"</summary>{body}</details></section>")
    _root(m).html.add_child(folium.Element(box))
    # Folium defines the map and groups later in the same script; hand them over once it has run.
    groups = ", ".join(f'"{spec["group"]}": {spec["group"]}' for spec in specs)
    _root(m).script.add_child(folium.Element(
        "document.addEventListener('DOMContentLoaded', function () { "
        f"AtlasMap.load({m.get_name()}, {_script_json(specs)}, {{{groups}}}); }});"
    ))
    return m


def _root(m: folium.Map) -> folium.Figure:
    return cast(folium.Figure, m.get_root())


VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')


def render(m: folium.Map) -> str:
    """The page; pinch zoom stays on (folium's viewport says user-scalable=no: WCAG 1.4.4)."""
    return VIEWPORT.sub('<meta name="viewport" content="width=device-width, initial-scale=1">', _root(m).render(), 1)
