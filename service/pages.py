"""HTML pages. Each is a thin shell: parse the request, compose a map from layers/, return it."""

from __future__ import annotations

import html
import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from geo.regions import region_bounds
from geo.states import state_abbr, state_fips, state_name
from layers.folium_map import build_map, render
from layers.registry import LAYERS
from service.deps import Conn

router = APIRouter(tags=["pages"])

SAMPLE_NOTE = "Services shown are SAMPLE DATA generated for demonstration, not real services."
# Folium's page template forbids pinch zoom (WCAG 1.4.4); the home page lets people zoom.
VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
MAP_DIV = re.compile(r'<div class="folium-map" id="map_[0-9a-f]+"\s*></div>')
# A header above the map (not over it), and the map filling the rest of the screen.
HOME_CSS = (
    "body{display:flex;flex-direction:column}"
    ".home-header{flex:none;display:flex;flex-wrap:wrap;align-items:center;gap:0 18px;padding:2px 12px;"
    "background:#fff;border-bottom:1px solid #d1d5db;font:16px/1.4 system-ui,sans-serif}"
    ".home-header h1{font-size:1.1rem;margin:6px 0}"
    ".home-header a{display:inline-block;padding:10px 6px;color:#1d4ed8}"
    ".home-header a[aria-current]{color:#111827;font-weight:700;text-decoration:none}"
    "#main{flex:1;position:relative;min-height:0}"
    "#main .folium-map{position:absolute;top:0;bottom:0;left:0;right:0;width:auto;height:auto}"
    ".skip{position:absolute;left:-999px;top:0;z-index:2000;background:#fff;padding:8px}"
    ".skip:focus{left:8px}"
)


def _zoomable(page: str) -> str:
    return VIEWPORT.sub('<meta name="viewport" content="width=device-width, initial-scale=1">', page, count=1)


def _layer_url(name: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/api/layers/{name}.geojson" + (f"?{query}" if query else "")


@router.get("/", response_class=HTMLResponse)
def state_map(
    conn: Conn,
    state: Annotated[str, Query(description="Postal code, name or FIPS")] = "MO",
) -> HTMLResponse:
    """A state's counties, court regions and services."""
    fips = state_fips(state)
    abbr = state_abbr(fips) or fips
    layers = [(LAYERS[name], _layer_url(name, state=abbr)) for name in ("counties", "courts", "services")]
    # The layer list folded to its button, as on /map: open, it covered a third of a phone's map.
    m = build_map(layers, bounds=region_bounds(conn, "state", fips), title=f"Upstream Atlas — {abbr}",
                  note=SAMPLE_NOTE, collapsed_layers=True)
    name = html.escape(state_name(abbr))
    states = " ".join(
        f'<a href="/?state={s}"{" aria-current=page" if s == abbr else ""}>{html.escape(state_name(s))}</a>'
        for s in ("MO", "MA"))
    header = (
        '<header class="home-header" role="banner">'
        f'<h1>Upstream Atlas — {name}</h1>'
        '<nav aria-label="Pages"><a href="/find">Find services near you</a> '
        f'<a href="/map?state={abbr}">Service deserts map</a> <a href="/embed">Embed a map</a> '
        '<a href="/docs">API</a></nav>'
        f'<nav aria-label="States">{states}</nav></header>')
    page = render(m).replace("<html>", '<html lang="en">', 1).replace(
        "<head>", f"<head><title>Upstream Atlas — {name}</title>", 1)
    page = _zoomable(page).replace("</head>", f"<style>{HOME_CSS}</style></head>", 1)
    page = page.replace("<body>", f'<body><a class="skip" href="#main">Skip to the map</a>{header}', 1)
    page = MAP_DIV.sub(lambda d: f'<main id="main" aria-label="Map of {name}">{d.group(0)}</main>', page, count=1)
    return HTMLResponse(page)
