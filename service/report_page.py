"""/report/{region}: one region's service gaps on paper, for an Upstream summit. Which kinds of help
are out of reach for how many people, along the child-welfare landscape, and in which counties.
Rendered by Jinja2 with autoescape; a print stylesheet lays it out on landscape pages."""

from __future__ import annotations

from functools import cache
from typing import Annotated

import jinja2
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from geo.deserts.results import region_report
from geo.review.queue import freshness
from geo.scope import RegionRef, category_thresholds
from geo.workshops.read import published_workshop
from layers.deserts import cell_size, miles_km
from layers.svg_map import county_share_svg, share_legend
from service.deps import AppSettings, Conn
from service.map_pages import SAMPLE_NOTE

router = APIRouter(tags=["pages"])


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("service", "templates"), autoescape=True)
    # One number per fact: people counts are rounded as the gap matrix stores them (to 0.1), then
    # to whole people, so a count read from a rollup and from the matrix prints the same.
    env.filters["people"] = lambda v: f"{round(round(v, 1)):,}"
    env.filters["share"] = lambda v: f"{100 * v:.0f} %"
    env.filters["km"] = lambda v: "–" if v is None else miles_km(v)
    env.filters["miles"] = lambda v: f"{v / 1609.344:,.0f} mi"
    return env.get_template("report.html")


@router.get("/report/{region}", response_class=HTMLResponse)
def gap_report(
    conn: Conn,
    settings: AppSettings,
    region: str,
    category: Annotated[str | None, Query(max_length=64, description="The category shown per county")] = None,
) -> HTMLResponse:
    """A printable handout of a region's gaps (circuit:MO-16, county:29095, division:MA-suffolk, state:MO)."""
    ref = RegionRef.parse(region)
    report = region_report(conn, ref, category=category)
    name = report["category_names"].get(report["category"], report["category"])
    svg = county_share_svg(conn, ref, {c["region_code"]: c["share_uncovered"] for c in report["counties"]},
                           label=f"Map of {report['region']['name']}: share of people beyond reach of {name}, by county")
    return HTMLResponse(_template().render(r=report, region_ref=str(ref), sample_note=SAMPLE_NOTE,
                                           w=published_workshop(conn, ref), thresholds=category_thresholds(conn),
                                           cells=cell_size(report["resolution"]), region_map=svg,
                                           map_legend=share_legend(),
                                           fresh=freshness(conn, ref, settings.verify_max_age_months),
                                           fresh_months=settings.verify_max_age_months))
