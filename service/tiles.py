"""Vector tiles: /tiles/{layer}/{z}/{x}/{y}.mvt and /tiles/{layer}.json (TileJSON 3.0.0), readable
by MapLibre, QGIS and other GIS tools."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from geo.tiles import MVT_MEDIA_TYPE, data_bounds, render_tile, tilejson
from service.deps import AppSettings, Conn
from service.openapi import content, errors
from service.responses import JSONResponse

router = APIRouter(prefix="/tiles", tags=["tiles"], responses=errors(400, 404, 422, 503))

# Tiles are public data: any site may load them; a short cache lets browsers reuse them.
TILE_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"}


@router.get("/{layer}/{z}/{x}/{y}.mvt", response_class=Response, responses={
    **content(MVT_MEDIA_TYPE, {"type": "string", "format": "binary"}, "A Mapbox vector tile."),
    204: {"description": "The tile is empty."}})
def tile(
    conn: Conn,
    settings: AppSettings,
    layer: str,
    z: int,
    x: int,
    y: int,
    category: Annotated[str | None, Query(max_length=64)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    fields: Annotated[Literal["all", "map"], Query(
        description="deserts: `map` sends only what a map draws (covered, urban, population, distance_m, "
                    "threshold_m, access_2sfca), rounded as shown")] = "all",
) -> Response:
    """One Mapbox vector tile; 204 when the tile is empty."""
    data = render_tile(conn, layer, z, x, y, category=category or None, stage=stage or None,
                       feature_limit=settings.tile_feature_limit,
                       points_min_zoom=settings.tile_points_min_zoom, for_map=fields == "map")
    if not data:
        return Response(status_code=204, headers=TILE_HEADERS)
    return Response(data, media_type=MVT_MEDIA_TYPE, headers=TILE_HEADERS)


@router.get("/{layer}.json", response_model=None,
            responses=content("application/json", {"type": "object", "required": ["tilejson", "tiles"]},
                              "TileJSON 3.0.0."))
def layer_tilejson(
    conn: Conn,
    request: Request,
    layer: str,
    category: Annotated[str | None, Query(max_length=64)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    """TileJSON 3.0.0 for a tile layer, with the tile URL template and the layer's fields."""
    template = str(request.url_for("tile", layer=layer, z="0", x="0", y="0")).replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt")
    filters = urlencode({k: v for k, v in (("category", category), ("stage", stage)) if v})
    if filters:
        template += "?" + filters
    return JSONResponse(tilejson(layer, template, bounds=data_bounds(conn, layer)),
                        headers={"Access-Control-Allow-Origin": "*"})
