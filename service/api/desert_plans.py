"""Planning on top of desert runs: what if services were added, moved or removed; where should the
next k go. Both read a stored run and write nothing; anyone may call them (README "Service
deserts": they answer in counts of people per county and never reveal a confidential site)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from geo.deserts.whatif import MAX_CHANGES, Change, what_if
from geo.deserts.whereto import CANDIDATE_KINDS, MAX_SITES, where_to
from geo.errors import BadRequest
from geo.near import MAX_NEAR_LENGTH, NearProblem
from geo.scope import RegionRef
from service.deps import Conn, CoveredStates, Placer
from service.openapi import errors

router = APIRouter(prefix="/api/deserts", tags=["deserts"], responses=errors(400, 404, 422, 503))
REGION_HELP = "KIND:CODE — circuit:MO-16, division:MA-suffolk, county:29095 or state:MO"


class ChangeIn(BaseModel):
    """A hypothetical service: `add` one at a point, `move` a public service there, `remove` one.
    The point is lon and lat, or `near`: a town, a ZIP or 'lat,lon', placed as nearby search
    places it (a town or ZIP at its centre)."""

    action: Literal["add", "move", "remove"]
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    near: str | None = Field(None, max_length=MAX_NEAR_LENGTH,
                             description="For add and move, instead of lon and lat: 'Marshfield, MO', a ZIP or 'lat,lon'")
    service_id: str | None = Field(None, max_length=64, description="For move and remove: a public service")


class ChangeOut(BaseModel):
    """A change as it was answered: the point it was placed at, and the place `near` named."""

    action: Literal["add", "move", "remove"]
    lon: float | None
    lat: float | None
    place: str | None = Field(description="The town or ZIP `near` named (its centre), else null")
    service_id: str | None


class WhatIfRequest(BaseModel):
    """The region and category to look at, and the changes to imagine."""

    region: str = Field(max_length=64, description=REGION_HELP)
    category: str = Field(max_length=64)
    stage: str | None = Field(None, max_length=64, description="The stage choice the run stored cells for")
    changes: list[ChangeIn] = Field(min_length=1, max_length=MAX_CHANGES)
    cells: bool = Field(False, description="Also answer the cells whose reach changes, as GeoJSON (for a map)")


class RunRef(BaseModel):
    """The stored run the answer starts from."""

    id: int
    region: str
    resolution: int
    finished_at: str
    stale: bool


class Reach(BaseModel):
    """People (model estimates, one decimal) within reach before and after."""

    population: float
    within_reach_before: float
    within_reach_after: float
    newly_within_reach: float
    newly_beyond_reach: float


class CountyReach(Reach):
    """One county of the region."""

    code: str
    name: str


class CellChange(BaseModel):
    h3: str = Field(description="The cell's H3 index, hexadecimal")
    change: Literal["gained", "lost"] = Field(description="Now within reach, or no longer")
    population: float


class CellPolygon(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class CellFeature(BaseModel):
    type: Literal["Feature"]
    id: str
    properties: CellChange
    geometry: CellPolygon


class ChangedCells(BaseModel):
    """The cells whose reach changes, as GeoJSON hexagons (lon/lat, 6 decimals)."""

    type: Literal["FeatureCollection"]
    features: list[CellFeature]


class WhatIfAnswer(BaseModel):
    """People newly within (or beyond) reach, per county (most gained first) and overall; with
    `cells`, the cells that change."""

    run: RunRef
    changes: list[ChangeOut]
    cells_changed: int
    total: Reach
    counties: list[CountyReach]
    changed_cells: ChangedCells | None = None


def _placed(k: int, change: ChangeIn, placer: Placer) -> tuple[Change, str | None]:
    """The change with its point, and the place its `near` named; errors name the change."""
    if change.near is None or change.action == "remove":
        if change.near is not None:
            raise BadRequest(f"changes[{k}].near: remove takes service_id only")
        return Change(change.action, change.lon, change.lat, change.service_id), None
    if change.lon is not None or change.lat is not None:
        raise BadRequest(f"changes[{k}]: give lon and lat, or near, not both")
    try:
        origin = placer.place(change.near)
    except NearProblem as e:
        raise BadRequest(f"changes[{k}].near: {e}") from e
    point = origin.point
    return Change(change.action, point.longitude, point.latitude, change.service_id), origin.label or None


@router.post("/what-if", response_model=WhatIfAnswer)
def deserts_what_if(conn: Conn, body: WhatIfRequest) -> dict:
    """What if these services of a category were added, moved or removed: people newly within reach
    of one (the category's urban or rural threshold), per county and overall. Starts from the newest
    run covering the region; writes nothing. Only public services can be moved or removed. The
    answer repeats the changes with their points, so a map can draw where `near` placed them."""
    # Offline only: up to 50 places a request must not become 50 calls to an online geocoder, and
    # a hypothetical site needs its town, not its street.
    placer = Placer(CoveredStates(conn), online=None)
    placed = [_placed(k, c, placer) for k, c in enumerate(body.changes)]
    changes = [change for change, _ in placed]
    answer = what_if(conn, RegionRef.parse(body.region), body.category, changes, stage=body.stage, cells=body.cells)
    answer["changes"] = [{"action": c.action, "lon": c.lon, "lat": c.lat, "place": place, "service_id": c.service_id}
                         for c, place in placed]
    return answer


class Site(BaseModel):
    """A suggested site (a town or the centre of a coarse H3 cell) and the people it brings in."""

    name: str
    lon: float
    lat: float
    newly_within_reach: float


class WhereToAnswer(BaseModel):
    """The k sites bringing the most people beyond reach within reach (maximal covering)."""

    run: RunRef
    candidates: str
    candidates_considered: int
    capacity: float | None
    beyond_reach_before: float
    newly_within_reach: float
    optimal: bool
    sites: list[Site]


@router.get("/where-to", response_model=WhereToAnswer)
def deserts_where_to(
    conn: Conn,
    region: Annotated[str, Query(max_length=64, description=REGION_HELP)],
    category: Annotated[str, Query(max_length=64)],
    k: Annotated[int, Query(ge=1, le=MAX_SITES, description="How many sites to suggest")] = 1,
    candidates: Annotated[Literal["towns", "cells"], Query(description=", ".join(CANDIDATE_KINDS))] = "towns",
    stage: Annotated[str | None, Query(max_length=64)] = None,
    capacity: Annotated[float | None, Query(gt=0, le=1e9, description="People each site can serve")] = None,
) -> dict:
    """Where the next k services of a category would bring the most people now beyond reach within
    reach (the maximal covering location problem, solved exactly), with the people each brings."""
    return where_to(conn, RegionRef.parse(region), category, k, candidates=candidates, stage=stage,
                    capacity=capacity)
