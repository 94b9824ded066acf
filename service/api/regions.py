"""Regions as GeoJSON: counties, states, circuits, divisions and custom areas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from geo.regions import REGION_KINDS, regions_at_point, regions_geojson
from geo.states import state_fips
from service.deps import Conn
from service.openapi import FEATURE_COLLECTION, content, errors
from service.responses import GeoJSONResponse

router = APIRouter(prefix="/api", tags=["regions"], responses=errors(422, 503))


class RegionsAt(BaseModel):
    """The county and its court region at a point (all null outside the counties we hold)."""

    county_fips: str | None
    county_name: str | None
    court_kind: str | None
    court_code: str | None
    court_name: str | None


@router.get("/regions", response_class=GeoJSONResponse,
            responses={**content("application/geo+json", FEATURE_COLLECTION), **errors(400)})
def list_regions(
    conn: Conn,
    kind: Annotated[str | None, Query(description=f"One of {', '.join(REGION_KINDS)}")] = None,
    state: Annotated[str | None, Query(description="Postal code (MO), name or FIPS (29)")] = None,
    code: Annotated[str | None, Query(max_length=64)] = None,
    simplify_m: Annotated[float, Query(ge=0, le=5000, description="Display simplification, metres")] = 0,
) -> GeoJSONResponse:
    collection = regions_geojson(
        conn, kind=kind, state_fips=state_fips(state) if state else None, code=code,
        tolerance_deg=simplify_m / 111_000,
    )
    return GeoJSONResponse(collection)


@router.get("/regions/at", response_model=RegionsAt)
def region_at(
    conn: Conn,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> dict:
    """The county and court region containing a point. The point is not logged or stored."""
    return regions_at_point(conn, lon, lat)
