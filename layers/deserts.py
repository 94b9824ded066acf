"""Desert layers: H3 cells and per-region rollups as choropleths of one measure, classed with
mapclassify. With no desert results yet, both are empty and their legend says how to make some."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from geo.db import Connection
from geo.deserts.results import (
    NO_RESULTS_NOTE,
    desert_cells,
    desert_results_exist,
    desert_rollups_geojson,
    withheld_runs,
)
from geo.errors import BadRequest, NotFound
from geo.scope import RegionRef
from layers.classes import classify, legend_json


def _km(v: float) -> str:
    return f"{v / 1000:,.1f} km"


def _share(v: float) -> str:
    return f"{v * 100:.0f}%"


def _count(v: float) -> str:
    return f"{v:,.0f}"


def _ratio(v: float) -> str:
    return f"{v:.3g}"


@dataclass(frozen=True)
class Measure:
    """One thing a desert map can colour by, read from cells and from rollups."""

    name: str
    title: str
    cell_property: str
    rollup_property: str
    fmt: Callable[[float], str]
    higher_is_worse: bool = True


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("share_uncovered", "People beyond reach", "uncovered_population", "share_uncovered", _share),
        Measure("distance", "Distance to the nearest service", "distance_m", "mean_distance_m", _km),
        Measure("access", "Access (2SFCA: places per person)", "access_2sfca", "mean_2sfca", _ratio,
                higher_is_worse=False),
        Measure("population_uncovered", "People beyond reach (count)", "uncovered_population",
                "population_uncovered", _count),
    )
}
DEFAULT_MEASURE = "share_uncovered"


def get_measure(name: str | None) -> Measure:
    try:
        return MEASURES[name or DEFAULT_MEASURE]
    except KeyError:
        raise BadRequest(f"unknown measure {name!r}: use one of {', '.join(MEASURES)}") from None


def classed(collection: dict, *, prop: str, title: str, measure: Measure, scheme: str, k: int = 5) -> dict:
    """Add `_class` to each feature and a `legend` member with the class breaks."""
    features = collection["features"]
    values = [f["properties"].get(prop) for f in features]
    fmt = _count if prop == "uncovered_population" else measure.fmt
    classes, bins = classify(values, scheme=scheme, k=k, higher_is_worse=measure.higher_is_worse, fmt=fmt)
    for feature, cls in zip(features, classes, strict=True):
        feature["properties"]["_class"] = cls
        feature["properties"]["_value"] = None if cls is None else fmt(float(feature["properties"][prop]))
    note = "" if features else "no desert results for this choice yet — run atlas deserts compute"
    return {**collection, "legend": legend_json(title, bins, scheme=scheme, note=note)}


CHOOSE_CATEGORY = "choose a category to see where it is out of reach"


def _empty(title: str, note: str = NO_RESULTS_NOTE) -> dict:
    return {"type": "FeatureCollection", "features": [],
            "legend": legend_json(title, [], scheme="", note=note)}


def desert_cells_layer(
    conn: Connection, scope: RegionRef, *, category: str | None, stage: str | None, measure: str | None,
    scheme: str = "Quantiles", max_cells: int = 40_000,
) -> dict:
    """Desert cells coloured by the measure's per-cell value, from the run the deserts API would
    pick for the scope (the newest covering one with at most `max_cells` cells there)."""
    m = get_measure(measure)
    title = f"Desert cells — {m.title}"
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
    return classed(cells, prop=m.cell_property, title=title, measure=m, scheme=scheme)


def desert_rollups_layer(
    conn: Connection, scope: RegionRef, *, region_kind: str, category: str | None, stage: str | None,
    measure: str | None, scheme: str = "NaturalBreaks",
) -> dict:
    """Regions coloured by the measure's rollup value (e.g. the share of people beyond reach)."""
    m = get_measure(measure)
    title = f"{region_kind.capitalize()} rollups — {m.title}"
    if not desert_results_exist(conn):
        return _empty(title)
    if category is None:
        return _empty(title, CHOOSE_CATEGORY)
    rollups = desert_rollups_geojson(conn, scope, region_kind=region_kind, category=category, stage=stage)
    if not rollups["features"]:
        held = withheld_runs(conn, kind=region_kind, category=category)
        return _empty(title, f"Rollups withheld: {held[0]['reason']}" if held else NO_RESULTS_NOTE)
    return classed(rollups, prop=m.rollup_property, title=title, measure=m, scheme=scheme)
