"""Layer data for maps, as GeoJSON, filtered the way the page asks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from geo.states import state_fips
from layers.registry import LayerFilter, get_layer
from service.deps import Conn
from service.responses import GeoJSONResponse

router = APIRouter(prefix="/api/layers", tags=["layers"])


@router.get("/{name}.geojson")
def layer_geojson(
    conn: Conn,
    name: str,
    state: Annotated[str | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
) -> GeoJSONResponse:
    layer = get_layer(name)
    f = LayerFilter(state_fips=state_fips(state) if state else None, category=category, stage=stage)
    return GeoJSONResponse(layer.fetch(conn, f))
