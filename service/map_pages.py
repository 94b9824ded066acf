"""Map pages: /map for planners, /embed/{region} for court websites, and the /embed builder.
Thin: parse the request, compose a map from layers/, escape every value put into HTML."""

from __future__ import annotations

import html
import re
from typing import Annotated, Literal
from urllib.parse import urlencode

import folium
import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from geo.deserts.results import NO_RESULTS_NOTE, desert_results_exist
from geo.errors import BadRequest
from geo.near import MAX_NEAR_LENGTH
from geo.regions import court_kind_for_state
from geo.scope import RegionRef, map_choices, scope_choices, scope_info
from geo.states import state_abbr, state_fips
from layers.deserts import DEFAULT_MEASURE, MEASURES, desert_tiles, top_category
from layers.folium_map import _root, build_map, render
from layers.registry import LAYERS
from service.deps import AppSettings, Conn

router = APIRouter(tags=["pages"])
TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("service", "templates"), autoescape=True)

SAMPLE_NOTE = "Services shown are SAMPLE DATA generated for demonstration, not real services."
MAP_LAYERS = ("counties", "courts", "freshness", "rollups", "deserts", "services")
EMBED_LAYERS = ("counties", "courts", "deserts", "services")
DEFAULT_STATE = "MO"  # the state /map and the embed builder open on
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
    """The page, its content inside one <main> landmark named by the title (an embed's <main> sits
    in a court's page beside the court's own; the scripts may sit in it too)."""
    page = render(m).replace("<html>", '<html lang="en">', 1).replace(
        "<head>", f"<head><title>{html.escape(title)}</title>", 1)
    page = page.replace("<body>", f'<body>\n<main class="atlas-map-main" aria-label="{html.escape(title)}">', 1)
    end = page.rindex("</body>")
    return HTMLResponse(page[:end] + "</main>\n" + page[end:])


def natural_key(name: str) -> tuple:
    """Sort "2nd" before "19th": digit runs compare as numbers."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name))


def region_choices(conn: Conn, state_fips: str | None = None) -> list[dict]:
    """Court regions then counties, each in natural order, for one state or all."""
    rows = [r for r in scope_choices(conn) if state_fips is None or r["state_fips"] == state_fips]
    return sorted(rows, key=lambda r: (r["state_fips"], r["kind"] == "county", natural_key(r["name"])))


def _desert_category(conn: Conn, scope: RegionRef, category: str | None,
                     names: dict[str, str]) -> tuple[str | None, str, str]:
    """The category the desert layers show, its name, and why it was chosen: the one asked for,
    or before anyone picks, the one leaving the most people beyond reach in the scope."""
    if category:
        return category, names.get(category, category), ""
    top = top_category(conn, scope)
    if top is None:
        return None, "Deserts", ""
    return top, names.get(top, top), "the kind of help that leaves the most people beyond reach here"


def _what_if_panel(scope: RegionRef, place: str, category: str, category_name: str, stage: str | None) -> str:
    """'What if another service opened?': imagined services of the category shown, placed by a town,
    ZIP or 'lat,lon' typed (keyboard and screen readers), a point picked on the map or a site
    GET /api/deserts/where-to suggests, answered by POST /api/deserts/what-if for this region
    (static/atlas-whatif.js). Nothing is saved."""
    kind = category_name if category_name[1:2].isupper() else category_name[:1].lower() + category_name[1:]
    data = (f'data-region="{html.escape(str(scope))}" data-category="{html.escape(category)}" '
            f'data-stage="{html.escape(stage or "")}" data-category-name="{html.escape(kind)}"')
    return (
        f'<details class="atlas-whatif" {data}><summary>What if another {html.escape(kind)} service '
        "opened?</summary>"
        '<form class="whatif-add" novalidate>'
        f'<label>Town, ZIP or lat,lon <input name="near" maxlength="{MAX_NEAR_LENGTH}" autocomplete="off" '
        'aria-describedby="whatif-help"></label> <button type="submit">Add</button> '
        '<button type="button" class="whatif-pick" aria-pressed="false">Pick on the map</button></form>'
        f'<p id="whatif-help" class="hint">People within reach are counted from the newest desert results for '
        f"{html.escape(place)}. Nothing is saved.</p>"
        '<form class="whereto-ask"><label for="whereto-k">Or suggest the best sites: how many</label> '
        f'<select id="whereto-k" name="k">{_options([(str(k), str(k)) for k in range(1, 6)], "2")}</select> '
        '<button type="submit">Suggest</button></form>'
        '<div class="whereto-answer" role="status" aria-live="polite"></div>'
        '<ol class="whatif-sites" aria-label="Imagined services"></ol>'
        '<p class="whatif-problem" role="alert" hidden></p>'
        '<div class="whatif-answer" role="status" aria-live="polite"></div>'
        '<p><button type="button" class="whatif-clear" hidden>Remove all</button></p></details>'
    )


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
    fips = state_fips(state or DEFAULT_STATE)
    scope = RegionRef.parse(region) if region else RegionRef("state", fips)
    info = scope_info(conn, scope)
    fips = info.state_fips or fips
    abbr = state_abbr(fips) or fips
    measure = _check_measure(measure)
    court_kind = court_kind_for_state(conn, fips) or "county"
    choices = map_choices(conn)
    names = {c["code"]: c["name"] for c in choices["categories"]}
    shown, shown_name, why = _desert_category(conn, scope, category, names)
    params = _query(region=str(scope), category=category, stage=stage, measure=measure)
    desert_params = _query(region=str(scope), category=shown, stage=stage, measure=measure)
    rollup = f"&rollup={court_kind}" if scope.kind == "state" else ""
    layers = [(LAYERS[n], f"/api/layers/{n}.geojson?{desert_params if n in ('rollups', 'deserts') else params}"
                          f"{rollup if n == 'rollups' else ''}") for n in MAP_LAYERS]
    # A state's cells come from vector tiles; a region's few thousand as GeoJSON.
    tiles = ({"deserts": desert_tiles(conn, category=shown, stage=stage, measure=measure,
                                       category_name=shown_name)}
             if scope.kind == "state" else {})
    notes = [SAMPLE_NOTE] + ([] if desert_results_exist(conn) else [f"Deserts: {NO_RESULTS_NOTE}."])
    notes += [f"Deserts show {shown_name}: {why}; pick a category to change."] if why else []
    title = f"Upstream Atlas — {info.name}"
    m = build_map(layers, bounds=info.bounds, title=title, note=" ".join(notes), tiles=tiles,
                  collapsed_layers=True)
    regions = [("", f"All of {abbr}")] + [
        (f"{r['kind']}:{r['code']}", f"{r['name']} ({r['kind']})") for r in region_choices(conn, fips)
    ]
    downloads = " ".join(
        f'<a href="/api/layers/{n}.{ext}?{html.escape(desert_params if n in ("rollups", "deserts") else params)}'
        f'{"&amp;download=1" if ext == "geojson" else ""}'
        f'{html.escape(rollup) if n == "rollups" else ""}" download>{html.escape(LAYERS[n].title)} {ext.upper()}</a>'
        for n in ("services", "deserts", "rollups", "counties") for ext in ("csv", "geojson")
    )
    report = f"/report/{region or f'state:{abbr}'}" + (f"?{_query(category=category)}" if category else "")
    form = (
        '<details class="atlas-panel atlas-filters" open><summary><h1>Upstream Atlas: '
        f'{html.escape(info.name)}</h1> <span class="summary-hint">Filters</span></summary>'
        '<form method="get" action="/map" aria-label="Choose what the map shows">'
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
        f'{_what_if_panel(scope, info.name, shown, shown_name, stage) if shown else ""}</details>'
        '<script src="/static/atlas-whatif.js"></script>'
    )
    _root(m).html.add_child(folium.Element(form))
    return _page(m, title)


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
    names = {c["code"]: c["name"] for c in map_choices(conn)["categories"]}
    shown, shown_name, why = _desert_category(conn, scope, category, names)
    params = _query(region=str(scope), category=category, stage=stage, measure=measure)
    desert_params = _query(region=str(scope), category=shown, stage=stage, measure=measure)
    layers = [(LAYERS[n], f"/api/layers/{n}.geojson?{desert_params if n == 'deserts' else params}")
              for n in EMBED_LAYERS]
    tiles = ({"deserts": desert_tiles(conn, category=shown, stage=stage, measure=measure,
                                       category_name=shown_name)}
             if scope.kind == "state" else {})
    note = "Services are SAMPLE DATA, not real." + (f" Deserts show {shown_name}: {why}." if why else "")
    m = build_map(layers, bounds=info.bounds, title=info.name, note=note, basemap=basemap, compact=True,
                  tiles=tiles)
    full = "/map?" + _query(state=info.state_fips, region=str(scope), category=category, stage=stage, measure=measure)
    _root(m).html.add_child(folium.Element(
        f'<h1 class="visually-hidden">Family services map: {html.escape(info.name)}</h1>'
        f'<a class="atlas-full-link" href="{html.escape(full)}" target="_blank" rel="noopener">'
        "Open the full map ↗</a>"
    ))
    return _page(m, f"Upstream Atlas — {info.name}")


@router.get("/embed", response_class=HTMLResponse)
def embed_builder(
    conn: Conn,
    request: Request,
    settings: AppSettings,
    region: Annotated[str | None, Query(max_length=80)] = None,
    category: Text = None,
    stage: Text = None,
    measure: Text = None,
    width: Annotated[int, Query(ge=200, le=2000)] = 600,
    height: Annotated[int, Query(ge=200, le=2000)] = 420,
    download: Annotated[Literal["page"] | None, Query(description="`page`: a test page to open on your computer")] = None,
) -> Response:
    """Pick a region and options, see the embed, copy the <iframe> snippet (or download a test page)."""
    choices = map_choices(conn)
    regions: list[tuple[str, str]] = []
    for fips in sorted({r["state_fips"] for r in scope_choices(conn)}, key=lambda f: state_abbr(f) != DEFAULT_STATE):
        abbr = state_abbr(fips) or fips
        regions.append((f"state:{abbr}", f"All of {scope_info(conn, RegionRef('state', fips)).name} (state)"))
        regions += [(f"{r['kind']}:{r['code']}", f"{r['name']} ({r['kind']}, {abbr})")
                    for r in region_choices(conn, fips)]
    region = region or regions[0][0]  # the state the atlas opens on, whole
    scope = RegionRef.parse(region)
    info = scope_info(conn, scope)
    measure = _check_measure(measure)
    src = f"{str(request.base_url).rstrip('/')}/embed/{scope}"
    query = _query(category=category, stage=stage, measure=None if measure == DEFAULT_MEASURE else measure)
    src += f"?{query}" if query else ""
    title = "Family services map: " + info.name
    # Responsive: as wide as the column it is put in, keeping the chosen shape (height as a fallback).
    snippet = (f'<iframe src="{html.escape(src)}" title="{html.escape(title)}" width="100%" height="{height}" '
               f'style="border:0;width:100%;height:auto;aspect-ratio:{width}/{height}" loading="lazy" '
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
    origins = settings.embed_origins()
    context = {"fields": fields, "width": width, "height": height, "src": src, "title": title,
               "snippet": snippet, "full_map": full, "any_site": not origins or "*" in origins,
               "origins": origins, "site": str(request.base_url).rstrip("/"),
               "test_page": "/embed?" + _query(region=str(scope), category=category, stage=stage,
                                               measure=measure, width=str(width), height=str(height),
                                               download="page")}
    if download == "page":
        page = TEMPLATES.get_template("embed_test_page.html").render(**context)
        return HTMLResponse(page, headers={"Content-Disposition": 'attachment; filename="atlas-map-test.html"'})
    return HTMLResponse(TEMPLATES.get_template("embed_builder.html").render(**context))
