"""Layer data for maps, as GeoJSON or CSV, filtered the way the page asks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from geo.scope import RegionRef
from geo.states import state_fips
from layers.export import collection_csv
from layers.registry import LayerFilter, get_layer
from service.deps import AppSettings, Conn
from service.openapi import FEATURE_COLLECTION, content, errors
from service.responses import GeoJSONResponse

router = APIRouter(prefix="/api/layers", tags=["layers"], responses=errors(400, 404, 422, 503))

RollupKind = Literal["county", "circuit", "division"]


def layer_filter(
    settings: AppSettings,
    state: Annotated[str | None, Query(description="Postal code, name or FIPS")] = None,
    region: Annotated[str | None, Query(max_length=80, description="kind:code, e.g. circuit:MO-16")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    measure: Annotated[str | None, Query(max_length=64)] = None,
    rollup: Annotated[RollupKind, Query(description="region kind of the rollups layer")] = "county",
) -> LayerFilter:
    """The filter from query parameters: one declaration for every layer endpoint (GeoJSON and CSV)."""
    return LayerFilter(
        state_fips=state_fips(state) if state else None,
        scope=RegionRef.parse(region) if region else None,
        category=category or None, stage=stage or None, measure=measure or None, rollup_kind=rollup,
        verify_max_age_months=settings.verify_max_age_months,
    )


Filter = Annotated[LayerFilter, Depends(layer_filter)]


def _attachment(name: str, ext: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="atlas-{name}.{ext}"'}


@router.get("/{name}.geojson", response_class=GeoJSONResponse,
            responses=content("application/geo+json", FEATURE_COLLECTION))
def layer_geojson(conn: Conn, name: str, f: Filter, download: bool = False) -> Response:
    layer = get_layer(name)
    headers = _attachment(name, "geojson") if download else None
    if layer.fetch_text is not None:
        return Response(layer.fetch_text(conn, f), media_type=GeoJSONResponse.media_type, headers=headers)
    return GeoJSONResponse(layer.fetch(conn, f), headers=headers)


@router.get("/{name}.csv", response_class=Response,
            responses=content("text/csv", {"type": "string"}, "The features as CSV."))
def layer_csv(conn: Conn, name: str, f: Filter) -> Response:
    """The same features as the GeoJSON, as a spreadsheet-safe CSV download."""
    layer = get_layer(name)
    return Response(collection_csv(layer.fetch(conn, f)), media_type="text/csv; charset=utf-8",
                    headers=_attachment(name, "csv"))
