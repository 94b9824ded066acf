"""Desert layers: cells and per-region rollups as choropleths of one measure, in fixed bands with
units (people, %, miles and km, places per 10,000 people). With no desert results yet, both are
empty and their legend says how to make some."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from geo.db import Connection
from geo.deserts.results import (
    NO_RESULTS_NOTE,
    desert_cells,
    desert_results_exist,
    desert_rollups_geojson,
    rollups,
    withheld_runs,
)
from geo.errors import BadRequest, NotFound
from geo.regions import covered_states, region_bounds
from geo.scope import RegionRef
from geo.states import state_fips
from geo.tiles import desert_extents, tiles_meeting
from layers.classes import NO_GAP_COLOR, Band, band_bins, classify_bands, legend_json

METRES_PER_MILE = 1609.344
RAMP4 = ["#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]  # ColorBrewer YlOrRd without its palest step
RAMP5 = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]


def people(v: float) -> str:
    """People are whole: area-weighted counts are rounded once, here, wherever they are shown."""
    return f"{round(v):,}"


def share(v: float) -> str:
    return f"{round(v * 100)}%"


def miles_km(metres: float) -> str:
    return f"{metres / METRES_PER_MILE:,.1f} mi ({metres / 1000:,.1f} km)"


def per_10k(v: float) -> str:
    return f"{v * 10_000:,.1f} per 10,000 people"


@dataclass(frozen=True)
class Scale:
    """How a measure is read: the number a reader sees (it decides the class), its text, and the
    fixed bands. `rule` names the same reading in atlas-map.js, for cells drawn from tiles."""

    rule: str
    shown: Callable[[float], float]
    text: Callable[[float], str]
    bands: tuple[Band, ...]


CELL_PEOPLE = Scale("people", lambda v: round(v), people, (
    Band(0, "No one beyond reach", NO_GAP_COLOR), Band(25, "1–25 people beyond reach", RAMP4[0]),
    Band(100, "26–100 people", RAMP4[1]), Band(500, "101–500 people", RAMP4[2]),
    Band(None, "More than 500 people", RAMP4[3])))
REGION_PEOPLE = Scale("people", lambda v: round(v), people, (
    Band(0, "No one beyond reach", NO_GAP_COLOR), Band(5_000, "1–5,000 people beyond reach", RAMP4[0]),
    Band(25_000, "5,001–25,000 people", RAMP4[1]), Band(75_000, "25,001–75,000 people", RAMP4[2]),
    Band(None, "More than 75,000 people", RAMP4[3])))
SHARE = Scale("percent", lambda v: round(v * 100), share, (
    Band(0, "No one beyond reach (0%)", NO_GAP_COLOR), Band(10, "1–10% beyond reach", RAMP4[0]),
    Band(25, "11–25%", RAMP4[1]), Band(50, "26–50%", RAMP4[2]), Band(None, "51–100%", RAMP4[3])))
MILES = Scale("miles", lambda v: round(v / METRES_PER_MILE, 1), miles_km, (
    Band(4.9, "Under 5 mi (8 km)", RAMP5[0]), Band(9.9, "5 to 9.9 mi (8–16 km)", RAMP5[1]),
    Band(19.9, "10 to 19.9 mi (16–32 km)", RAMP5[2]), Band(39.9, "20 to 39.9 mi (32–64 km)", RAMP5[3]),
    Band(None, "40 mi (64 km) or more", RAMP5[4])))
PER_10K = Scale("per10k", lambda v: round(v * 10_000, 1), per_10k, (
    Band(0, "None within reach", RAMP5[4]), Band(0.9, "Under 1 place per 10,000 people", RAMP5[3]),
    Band(9.9, "1 to 9.9 places", RAMP5[2]), Band(49.9, "10 to 49.9 places", RAMP5[1]),
    Band(None, "50 places or more", RAMP5[0])))


@dataclass(frozen=True)
class Measure:
    """One thing a desert map can colour by, read from cells and from rollups."""

    name: str
    title: str
    cell_property: str
    rollup_property: str
    cell_scale: Scale
    rollup_scale: Scale


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("share_uncovered", "People beyond reach", "uncovered_population", "share_uncovered",
                CELL_PEOPLE, SHARE),
        Measure("distance", "Distance to the nearest service", "distance_m", "mean_distance_m", MILES, MILES),
        Measure("access", "Places per 10,000 people within reach", "access_2sfca", "mean_2sfca",
                PER_10K, PER_10K),
        Measure("population_uncovered", "People beyond reach (count)", "uncovered_population",
                "population_uncovered", CELL_PEOPLE, REGION_PEOPLE),
    )
}
DEFAULT_MEASURE = "share_uncovered"


def get_measure(name: str | None) -> Measure:
    try:
        return MEASURES[name or DEFAULT_MEASURE]
    except KeyError:
        raise BadRequest(f"unknown measure {name!r}: use one of {', '.join(MEASURES)}") from None


def classed(collection: dict, *, prop: str, title: str, scale: Scale) -> dict:
    """Add `_class` and `_value` (the text a reader sees) to each feature and a `legend` member."""
    features = collection["features"]
    values = [f["properties"].get(prop) for f in features]
    classes, bins = classify_bands([None if v is None else scale.shown(float(v)) for v in values], scale.bands)
    for feature, cls, value in zip(features, classes, values, strict=True):
        feature["properties"]["_class"] = cls
        feature["properties"]["_value"] = None if value is None else scale.text(float(value))
    return {**collection, "legend": legend_json(title, bins, scheme="fixed")}


def cell_size(resolution: int | None) -> str:
    """H3 cells in words: their average area (H3's published table), not the resolution number."""
    km2 = {5: 253, 6: 36, 7: 5, 8: 0.7, 9: 0.1}.get(resolution or 7)
    return f"cells of about {km2} km²" if km2 else "cells"


def top_category(conn: Connection, scope: RegionRef) -> str | None:
    """The kind of help that leaves the most people beyond reach in the scope (what a desert map
    shows before anyone picks a category); None without results."""
    if not desert_results_exist(conn):
        return None
    rows = rollups(conn, scope.kind, code=scope.code)
    return max(rows, key=lambda r: (r["population_uncovered"], r["category"]))["category"] if rows else None


DESERT_TILE_ZOOM = 8  # desert tiles are fetched at this zoom or deeper: a statewide view's zoom


def opening_views(conn: Connection) -> list[tuple[str, list[tuple[int, int, int]]]]:
    """What /map?state=XX draws first, for each state with desert results: the category it opens
    on (top_category) and the desert tiles a statewide view fetches (at DESERT_TILE_ZOOM, those
    meeting the desert extents that meet the state), so a server can keep them built."""
    views = []
    extents = desert_extents(conn)
    for abbr in covered_states(conn):
        fips = state_fips(abbr)
        category, bounds = top_category(conn, RegionRef("state", fips)), region_bounds(conn, "state", fips)
        if category is None or bounds is None:
            continue
        boxes = [e for e in extents if e[0] <= bounds[2] and e[2] >= bounds[0] and e[1] <= bounds[3] and e[3] >= bounds[1]]
        views.append((category, sorted({t for box in boxes for t in tiles_meeting(box, DESERT_TILE_ZOOM)})))
    return views


def desert_tiles(conn: Connection, *, category: str | None, stage: str | None, measure: str | None,
                 category_name: str, native_zoom: int = DESERT_TILE_ZOOM) -> dict:
    """How a map draws desert cells from /tiles/deserts: the URL template (only the fields a map
    shows), the zoom the tiles are fetched at (deeper zooms hold fewer cells per tile than the
    tile feature limit), the boxes outside which every tile is empty (never fetched: a statewide
    view of Missouri asks for 30 tiles instead of 77) and the legend with its note."""
    m = get_measure(measure)
    note, resolution = "", None
    if not desert_results_exist(conn):
        note = NO_RESULTS_NOTE
    elif category is None:
        note = CHOOSE_CATEGORY
    else:
        row = conn.execute("SELECT resolution FROM desert_run WHERE finished_at IS NOT NULL "
                           "ORDER BY finished_at DESC, id DESC LIMIT 1").fetchone()
        resolution = row["resolution"] if row else None
        held = withheld_runs(conn, category=category)
        note = f"Some cells withheld: {held[0]['reason']}" if held else ""
    params = urlencode({k: v for k, v in (("category", category), ("stage", stage), ("fields", "map")) if v})
    title = f"{category_name} — {m.title.lower()}, {cell_size(resolution)}"
    return {"url": f"/tiles/deserts/{{z}}/{{x}}/{{y}}.mvt?{params}", "native_zoom": native_zoom,
            "extents": desert_extents(conn), "legend": tile_legend(measure, title, note)}


def tile_legend(measure: str | None, title: str, note: str = "") -> dict:
    """The legend of desert cells drawn from vector tiles: the fixed bands, and the reading rule
    atlas-map.js applies to each tile feature."""
    scale = get_measure(measure).cell_scale
    return {**legend_json(title, band_bins(scale.bands), scheme="fixed", note=note), "rule": scale.rule}


CHOOSE_CATEGORY = "choose a category to see where it is out of reach"


def _empty(title: str, note: str = NO_RESULTS_NOTE) -> dict:
    return {"type": "FeatureCollection", "features": [],
            "legend": legend_json(title, [], scheme="", note=note)}


def desert_cells_layer(
    conn: Connection, scope: RegionRef, *, category: str | None, stage: str | None, measure: str | None,
    max_cells: int = 40_000,
) -> dict:
    """Desert cells coloured by the measure's per-cell value, from the run the deserts API would
    pick for the scope (the newest covering one with at most `max_cells` cells there)."""
    m = get_measure(measure)
    title = f"Cells — {m.title}"
    if not desert_results_exist(conn):
        return _empty(title)
    if category is None:
        return _empty(title, CHOOSE_CATEGORY)
    try:
        cells = desert_cells(conn, scope, category, stage=stage, max_cells=max_cells)
    except NotFound:  # no run covers the scope for this category and stage
        return _empty(title)
    except BadRequest as too_many:  # every covering run has more cells than a map can carry
        return _empty(title, str(too_many))
    if not cells["features"]:
        return _empty(title, f"Deserts withheld: {withheld}" if (withheld := cells["run"]["withheld"])
                      else NO_RESULTS_NOTE)
    title = f"{cell_size(cells['run']['resolution']).capitalize()} — {m.title}"
    return classed(cells, prop=m.cell_property, title=title, scale=m.cell_scale)


def desert_rollups_layer(
    conn: Connection, scope: RegionRef, *, region_kind: str, category: str | None, stage: str | None,
    measure: str | None,
) -> dict:
    """Regions coloured by the measure's rollup value (e.g. the share of people beyond reach)."""
    m = get_measure(measure)
    title = f"By {region_kind} — {m.title}"
    if not desert_results_exist(conn):
        return _empty(title)
    if category is None:
        return _empty(title, CHOOSE_CATEGORY)
    rollups = desert_rollups_geojson(conn, scope, region_kind=region_kind, category=category, stage=stage)
    if not rollups["features"]:
        held = withheld_runs(conn, kind=region_kind, category=category)
        return _empty(title, f"Rollups withheld: {held[0]['reason']}" if held else NO_RESULTS_NOTE)
    return classed(rollups, prop=m.rollup_property, title=title, scale=m.rollup_scale)
