"""Service deserts: stored H3 cells as GeoJSON, a region's gap matrix, rollups by county or circuit."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from geo.deserts.results import (
    MEASURES,
    desert_cells_geojson,
    gap_matrix,
    gap_matrix_table,
    rollups,
    withheld_runs,
)
from geo.scope import RegionRef
from geo.states import state_fips
from service.deps import Conn
from service.openapi import FEATURE_COLLECTION, content, errors
from service.responses import GeoJSONResponse, JSONResponse

router = APIRouter(prefix="/api", tags=["deserts"], responses=errors(400, 404, 422, 503))


class Rollups(BaseModel):
    """Per region of one kind: the rollup rows, and the runs held back until a recompute."""

    kind: str
    category: str | None
    stage: str | None
    rollups: list[dict[str, Any]]
    withheld: list[dict[str, Any]]
REGION_HELP = "KIND:CODE — circuit:MO-16, division:MA-suffolk, county:29095 or state:MO"


@router.get("/deserts", response_class=GeoJSONResponse,
            responses=content("application/geo+json", FEATURE_COLLECTION))
def deserts(
    conn: Conn,
    region: Annotated[str, Query(max_length=64, description=REGION_HELP)],
    category: Annotated[str, Query(max_length=64)],
    measure: Annotated[str, Query(description=f"One of {', '.join(MEASURES)}")] = "distance_m",
    stage: Annotated[str | None, Query(max_length=64, description="Cells stored for one stage")] = None,
    resolution: Annotated[int | None, Query(ge=0, le=15)] = None,
) -> Response:
    """H3 cells with population, distance to the nearest service (geodesic metres), threshold,
    coverage and 2SFCA/E2SFCA access; `value` is the asked measure. No service point is included:
    a run that used a site now confidential has no cells, and `run.withheld` says why."""
    text = desert_cells_geojson(conn, RegionRef.parse(region), category, measure=measure, stage=stage,
                                resolution=resolution)
    return Response(text, media_type=GeoJSONResponse.media_type)


@router.get("/gaps", response_model=None, responses={200: {
    "description": "The matrix as JSON, or as CSV with format=csv.",
    "content": {"application/json": {"schema": {"type": "object"}}, "text/csv": {"schema": {"type": "string"}}}}})
def gaps(
    conn: Conn,
    region: Annotated[str, Query(max_length=64, description=REGION_HELP)],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    resolution: Annotated[int | None, Query(ge=0, le=15)] = None,
) -> Response:
    """Category × landscape stage: people beyond the category's threshold and services, per cell."""
    ref = RegionRef.parse(region)
    matrix = gap_matrix(conn, ref, resolution=resolution)
    if format == "json":
        return JSONResponse(matrix)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(gap_matrix_table(matrix))
    filename = f"gaps-{ref.kind}-{ref.code}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/rollups", response_model=Rollups)
def desert_rollups(
    conn: Conn,
    kind: Annotated[Literal["county", "circuit", "division", "state"], Query()],
    category: Annotated[str | None, Query(max_length=64)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(description="Postal code (MO), name or FIPS (29)")] = None,
    resolution: Annotated[int | None, Query(ge=0, le=15)] = None,
) -> dict:
    """Per county or circuit/division: population beyond threshold (count, share), population-weighted
    mean distance and 2SFCA, services, and a rank (1 = largest share uncovered). Runs held back
    until a recompute (a site they used is now confidential) are listed under `withheld`."""
    rows = rollups(conn, kind, category=category, stage=stage,
                   state_fips=state_fips(state) if state else None, resolution=resolution)
    return {"kind": kind, "category": category, "stage": stage, "rollups": rows,
            "withheld": withheld_runs(conn, kind=kind, category=category)}
