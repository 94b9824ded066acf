"""HTML pages. Each is a thin shell: parse the request, compose a map from layers/, return it."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import urlencode

import folium
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from geo.regions import region_bounds
from geo.states import state_abbr, state_fips
from layers.folium_map import _root, build_map, render
from layers.registry import LAYERS
from service.deps import Conn

router = APIRouter(tags=["pages"])

SAMPLE_NOTE = "Services shown are SAMPLE DATA generated for demonstration, not real services."


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
    m = build_map(layers, bounds=region_bounds(conn, "state", fips), title=f"Upstream Atlas — {abbr}",
                  note=SAMPLE_NOTE)
    links = " ".join(
        f'<a href="/?state={s}">{s}</a>' for s in ("MO", "MA")
    )
    _root(m).html.add_child(folium.Element(
        f'<header class="atlas-header" role="banner"><strong>Upstream Atlas</strong> · '
        f'{html.escape(abbr)} · {links} <a href="/health">health</a> <a href="/docs">API</a></header>'
    ))
    page = render(m).replace("<html>", '<html lang="en">', 1).replace(
        "<head>", f"<head><title>Upstream Atlas — {html.escape(abbr)}</title>", 1)
    return HTMLResponse(page)
