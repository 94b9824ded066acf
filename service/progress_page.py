"""/progress: a state's circuits (or divisions) on a map by how far their Upstream workshop has
come, with the headline the state team tracks; /embed/progress is the same map for a website.
Composed from the layer registry like /map and /embed; every value put into HTML is escaped."""

from __future__ import annotations

import html
from typing import Annotated

import folium
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from geo.regions import region_bounds
from geo.states import state_abbr, state_fips
from geo.workshops.progress import progress
from geo.workshops.schemas import STATUS_NAMES
from layers.folium_map import _root, build_map, render
from layers.registry import LAYERS
from service.deps import Conn

router = APIRouter(tags=["pages"])
# A state without circuits or divisions loaded is a 404 page.
PAGE_ERRORS: dict[int | str, dict] = {404: {"description": "No court regions in that state", "content": {
    "text/html": {"schema": {"type": "string"}},
    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}}
StateParam = Annotated[str, Query(max_length=40, description="Postal code (MO), name or FIPS")]
SAMPLE_NOTE = "Workshops marked SAMPLE are demonstration data, not real meetings."
STATES = (("MO", "Missouri"), ("MA", "Massachusetts"))


def _map(conn: Conn, fips: str, *, compact: bool) -> tuple[folium.Map, dict]:
    facts = progress(conn, fips)
    abbr = state_abbr(fips) or fips
    sample = conn.execute(
        "SELECT bool_or(w.is_sample) AS any FROM workshop w JOIN region r ON r.kind = w.region_kind "
        "AND r.code = w.region_code WHERE r.state_fips = %s", [fips]).fetchone()
    sample_note = SAMPLE_NOTE if sample and sample["any"] else ""
    # The full page says the headline in its <h1>; an embed says it in the legend.
    note = f"{facts['headline']}. {sample_note}".strip() if compact else sample_note
    m = build_map([(LAYERS["workshops"], f"/api/layers/workshops.geojson?state={abbr}")],
                  bounds=region_bounds(conn, "state", fips), title=f"Upstream workshops — {abbr}",
                  note=note, basemap=False, compact=compact)
    _root(m).header.add_child(folium.Element('<link rel="stylesheet" href="/static/progress.css">'))
    return m, facts


def _page(m: folium.Map, title: str) -> HTMLResponse:
    """The map page with a language, a title, and the map as the page's main landmark."""
    page = render(m).replace("<html>", '<html lang="en">', 1).replace(
        "<head>", f"<head><title>{html.escape(title)}</title>", 1).replace(
        '<div class="folium-map"', '<div role="main" aria-label="Map of workshops" class="folium-map"', 1).replace(
        "<body>", '<body class="progress-page">', 1)
    return HTMLResponse(page)


def _report_link(region: dict) -> str:
    if not region["workshop_id"]:
        return ""
    ref = html.escape(f"{region['kind']}:{region['code']}")
    return f'<a href="/report/{ref}" aria-label="Report of {html.escape(region["name"])}">report</a>'


def _panel(facts: dict, abbr: str) -> str:
    """The headline, counts by step, each region with a link to its report, and the downloads."""
    e = html.escape
    states = " · ".join(f'<a href="/progress?state={s}"{" aria-current=page" if s == abbr else ""}>{e(name)}</a>'
                        for s, name in STATES)
    counts = "".join(f"<tr><th scope=row>{e(name)}</th><td>{facts['by_status'][status]}</td></tr>"
                     for status, name in STATUS_NAMES.items())
    counts += f"<tr><th scope=row>No workshop yet</th><td>{facts['by_status']['none']}</td></tr>"
    regions = "".join(
        f"<tr><th scope=row>{e(r['name'])}</th><td>{e(r['status_name'])}</td><td>{r['participants'] or ''}</td>"
        f"<td>{_report_link(r)}</td></tr>" for r in facts["items"])
    downloads = " ".join(f'<a href="/api/workshops/export/{t}.csv" download>{t}.csv</a>'
                         for t in ("workshop", "workshop_sector", "workshop_barrier", "workshop_priority",
                                   "workshop_priority_cell", "action_item", "action_update"))
    return (
        '<section class="atlas-panel progress-panel" aria-labelledby="progress-title">'
        f'<h1 id="progress-title">{e(facts["headline"])}</h1>'
        f'<p class="states">{states}</p>'
        f'<table class="progress-counts"><caption>Workshops by step</caption><tbody>{counts}</tbody></table>'
        f'<details><summary>Every {e(facts["region_kind"])}</summary><table class="progress-regions">'
        '<thead><tr><th scope=col>Region</th><th scope=col>Workshop</th><th scope=col>People</th>'
        f'<th scope=col><span class="visually-hidden">Report</span></th></tr></thead><tbody>{regions}</tbody>'
        '</table></details>'
        f'<details><summary>Download every table (CSV)</summary><p class="downloads">{downloads}</p></details>'
        f'<p class="links"><a href="/embed/progress?state={abbr}">Embed this map</a> · '
        f'<a href="/api/workshops/progress?state={abbr}">API</a></p></section>')


@router.get("/progress", response_class=HTMLResponse, responses=PAGE_ERRORS)
def progress_map(conn: Conn, state: StateParam = "MO") -> HTMLResponse:
    """Statewide progress of the Upstream workshops: a map, the counts and every region."""
    fips = state_fips(state)
    abbr = state_abbr(fips) or fips
    m, facts = _map(conn, fips, compact=False)
    _root(m).html.add_child(folium.Element(_panel(facts, abbr)))
    return _page(m, f"Upstream workshops — {facts['headline']}")


@router.get("/embed/progress", response_class=HTMLResponse, responses=PAGE_ERRORS)
def progress_embed(conn: Conn, state: StateParam = "MO") -> HTMLResponse:
    """The progress map for an <iframe> on a court or state website (framing as /embed allows)."""
    fips = state_fips(state)
    abbr = state_abbr(fips) or fips
    m, facts = _map(conn, fips, compact=True)
    _root(m).html.add_child(folium.Element(
        f'<a class="atlas-full-link" href="/progress?state={abbr}" target="_blank" rel="noopener">'
        "Open the full progress page ↗</a>"))
    return _page(m, f"Upstream workshops — {facts['headline']}")
