"""Map pages: /map for planners, /embed/{region} for court websites, and the /embed builder.
Thin: parse the request, compose a map from layers/, escape every value put into HTML."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import urlencode

import folium
import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from geo.deserts.results import NO_RESULTS_NOTE, desert_results_exist
from geo.errors import BadRequest
from geo.regions import court_kind_for_state
from geo.scope import RegionRef, map_choices, scope_choices, scope_info
from geo.states import state_abbr, state_fips
from layers.deserts import DEFAULT_MEASURE, MEASURES
from layers.folium_map import _root, build_map, render
from layers.registry import LAYERS
from service.deps import Conn

router = APIRouter(tags=["pages"])
TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("service", "templates"), autoescape=True)

SAMPLE_NOTE = "Services shown are SAMPLE DATA generated for demonstration, not real services."
MAP_LAYERS = ("counties", "courts", "rollups", "deserts", "services")
EMBED_LAYERS = ("counties", "courts", "deserts", "services")
Text = Annotated[str | None, Query(max_length=64)]


def _query(**params: str | None) -> str:
    return urlencode({k: v for k, v in params.items() if v})


def _options(items: list[tuple[str, str]], selected: str | None) -> str:
    return "".join(
        f'<option value="{html.escape(value)}"{" selected" if value == (selected or "") else ""}>'
        f"{html.escape(label)}</option>"
        for value, label in items
    )


def _page(m: folium.Map, title: str) -> HTMLResponse:
    page = render(m).replace("<html>", '<html lang="en">', 1).replace(
        "<head>", f"<head><title>{html.escape(title)}</title>", 1)
    return HTMLResponse(page)


def _check_measure(measure: str | None) -> str:
    if measure and measure not in MEASURES:
        raise BadRequest(f"unknown measure {measure!r}: use one of {', '.join(MEASURES)}")
    return measure or DEFAULT_MEASURE


@router.get("/map", response_class=HTMLResponse)
def planner_map(
    conn: Conn,
    state: Annotated[str, Query(description="Postal code, name or FIPS")] = "MO",
    region: Annotated[str | None, Query(max_length=80, description="kind:code, e.g. circuit:MO-16")] = None,
    category: Text = None,
    stage: Text = None,
    measure: Text = None,
) -> HTMLResponse:
    """Deserts, services and boundaries for a state or one region, with downloads of each layer."""
    fips = state_fips(state)
    scope = RegionRef.parse(region) if region else RegionRef("state", fips)
    info = scope_info(conn, scope)
    fips = info.state_fips or fips
    abbr = state_abbr(fips) or fips
    measure = _check_measure(measure)
    court_kind = court_kind_for_state(conn, fips) or "county"
    params = _query(region=str(scope), category=category, stage=stage, measure=measure)
    rollup = f"&rollup={court_kind}" if scope.kind == "state" else ""
    layers = [(LAYERS[n], f"/api/layers/{n}.geojson?{params}{rollup if n == 'rollups' else ''}")
              for n in MAP_LAYERS]
    notes = [SAMPLE_NOTE] + ([] if desert_results_exist(conn) else [f"Deserts: {NO_RESULTS_NOTE}."])
    m = build_map(layers, bounds=info.bounds, title=f"Upstream Atlas — {info.name}", note=" ".join(notes))
    choices = map_choices(conn)
    regions = [("", f"All of {abbr}")] + [
        (f"{r['kind']}:{r['code']}", f"{r['name']} ({r['kind']})")
        for r in scope_choices(conn) if r["state_fips"] == fips
    ]
    downloads = " ".join(
        f'<a href="/api/layers/{n}.{ext}?{html.escape(params)}{"&amp;download=1" if ext == "geojson" else ""}'
        f'{html.escape(rollup) if n == "rollups" else ""}" download>{html.escape(LAYERS[n].title)} {ext.upper()}</a>'
        for n in ("services", "deserts", "rollups", "counties") for ext in ("csv", "geojson")
    )
    report = f"/report/{region or f'state:{abbr}'}" + (f"?{_query(category=category)}" if category else "")
    form = (
        '<form class="atlas-panel" method="get" action="/map" aria-label="Choose what the map shows">'
        f'<label>State <select name="state">{_options([("MO", "Missouri"), ("MA", "Massachusetts")], abbr)}</select></label>'
        f'<label>Region <select name="region">{_options(regions, region)}</select></label>'
        f'<label>Category <select name="category">{_options([("", "All categories")] + [(c["code"], c["name"]) for c in choices["categories"]], category)}</select></label>'
        f'<label>Stage <select name="stage">{_options([("", "All stages")] + [(s["code"], s["name"]) for s in choices["stages"]], stage)}</select></label>'
        f'<label>Measure <select name="measure">{_options([(k, v.title) for k, v in MEASURES.items()], measure)}</select></label>'
        '<button type="submit">Show</button>'
        f'<details><summary>Download what is shown</summary><p class="downloads">{downloads}</p></details>'
        f'<p class="links"><a href="/embed?{html.escape(_query(region=region or "", category=category, stage=stage, measure=measure))}">'
        "Embed this map on a website</a> · "
        f'<a href="{html.escape(report)}">Printable gap report</a> · <a href="/docs">API</a></p></form>'
    )
    _root(m).html.add_child(folium.Element(form))
    return _page(m, f"Upstream Atlas — {info.name}")


@router.get("/embed/{region}", response_class=HTMLResponse)
def embed_map(
    conn: Conn,
    region: str,
    category: Text = None,
    stage: Text = None,
    measure: Text = None,
    basemap: bool = True,
) -> HTMLResponse:
    """A region's map for an <iframe> on a court website: minimal chrome, no cookies, a link to the
    full map. Framing is limited by CSP frame-ancestors (ATLAS_EMBED_ALLOWED_ORIGINS)."""
    scope = RegionRef.parse(region)
    info = scope_info(conn, scope)
    measure = _check_measure(measure)
    params = _query(region=str(scope), category=category, stage=stage, measure=measure)
    layers = [(LAYERS[n], f"/api/layers/{n}.geojson?{params}") for n in EMBED_LAYERS]
    m = build_map(layers, bounds=info.bounds, title=info.name, note=SAMPLE_NOTE, basemap=basemap, compact=True)
    full = "/map?" + _query(state=info.state_fips, region=str(scope), category=category, stage=stage, measure=measure)
    _root(m).html.add_child(folium.Element(
        f'<a class="atlas-full-link" href="{html.escape(full)}" target="_blank" rel="noopener">'
        "Open the full map ↗</a>"
    ))
    return _page(m, f"Upstream Atlas — {info.name}")


@router.get("/embed", response_class=HTMLResponse)
def embed_builder(
    conn: Conn,
    request: Request,
    region: Annotated[str | None, Query(max_length=80)] = None,
    category: Text = None,
    stage: Text = None,
    measure: Text = None,
    width: Annotated[int, Query(ge=200, le=2000)] = 640,
    height: Annotated[int, Query(ge=200, le=2000)] = 480,
) -> HTMLResponse:
    """Pick a region and options, see the embed, copy the <iframe> snippet."""
    choices = map_choices(conn)
    regions = [(f"{r['kind']}:{r['code']}", f"{r['name']} ({r['kind']}, {state_abbr(r['state_fips']) or ''})")
               for r in scope_choices(conn)]
    region = region or regions[0][0]
    scope = RegionRef.parse(region)
    info = scope_info(conn, scope)
    measure = _check_measure(measure)
    src = f"{str(request.base_url).rstrip('/')}/embed/{scope}"
    query = _query(category=category, stage=stage, measure=None if measure == DEFAULT_MEASURE else measure)
    src += f"?{query}" if query else ""
    title = "Family services map: " + info.name
    snippet = (f'<iframe src="{html.escape(src)}" width="{width}" height="{height}" '
               f'title="{html.escape(title)}" loading="lazy" style="border:0" '
               'referrerpolicy="no-referrer"></iframe>')
    fields = [
        {"name": "region", "label": "Region", "options": regions, "selected": region},
        {"name": "category", "label": "Category", "selected": category or "",
         "options": [("", "All categories")] + [(c["code"], c["name"]) for c in choices["categories"]]},
        {"name": "stage", "label": "Stage", "selected": stage or "",
         "options": [("", "All stages")] + [(s["code"], s["name"]) for s in choices["stages"]]},
        {"name": "measure", "label": "Measure", "selected": measure,
         "options": [(k, v.title) for k, v in MEASURES.items()]},
    ]
    full = "/map?" + _query(state=info.state_fips, region=str(scope), category=category, stage=stage,
                            measure=measure)
    return HTMLResponse(TEMPLATES.get_template("embed_builder.html").render(
        fields=fields, width=width, height=height, src=src, title=title, snippet=snippet, full_map=full))
