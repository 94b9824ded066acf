"""Mapbox vector tiles built in PostGIS (ST_AsMVT over ST_TileEnvelope, index-filtered, with a
feature limit), and the TileJSON that tells MapLibre or QGIS where to find them.

Services are the big layer: below `points_min_zoom` a tile carries counts per grid cell, not points;
at and above it, one feature per service up to the limit. Confidential sites are excluded in the SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from geo.copies import copies_for_reading
from geo.db import Connection, query
from geo.deserts import tile_cache
from geo.deserts.draw import tile_cells
from geo.deserts.results import desert_results_exist
from geo.errors import BadRequest, NotFound

MAX_ZOOM = 22
GRID = 64  # low-zoom service tiles count points per 1/64 of the tile
CELL_LEVELS = (7, 9, 11)  # service_map_cell holds counts per 1/64 of a tile at these zooms
CELL_ZOOM = CELL_LEVELS[-1]
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


@dataclass(frozen=True)
class TileLayer:
    name: str
    description: str
    fields: dict[str, str]  # property → TileJSON field description
    region_kinds: tuple[str, ...] = ()
    minzoom: int = 0
    maxzoom: int = MAX_ZOOM
    extra: dict = field(default_factory=dict)


SERVICE_FIELDS = {
    "id": "String", "name": "String", "organization": "String", "categories": "String (comma-separated codes)",
    "stages": "String (comma-separated codes)", "county_fips": "String", "is_sample": "Boolean",
    "point_count": "Number (low zooms: services in this grid cell)",
}
DESERT_FIELDS = {
    "h3": "String", "category": "String", "stage": "String", "population": "Number", "urban": "Boolean",
    "covered": "Boolean (within reach)", "distance_m": "Number (metres to the nearest service)",
    "threshold_m": "Number (too far beyond this)", "access_2sfca": "Number", "access_e2sfca": "Number",
}
REGION_FIELDS = {"kind": "String", "code": "String", "name": "String", "state_fips": "String",
                 "population": "Number"}

TILE_LAYERS: dict[str, TileLayer] = {
    t.name: t
    for t in (
        TileLayer("services", "Public services (confidential sites never included); counts per grid "
                  "cell below the points zoom", SERVICE_FIELDS),
        TileLayer("deserts", "Service desert H3 cells, latest finished run per cell (empty until "
                  "`atlas deserts compute` has run); filter with ?category=&stage=", DESERT_FIELDS, minzoom=5),
        TileLayer("counties", "County boundaries (Census cartographic boundaries)", REGION_FIELDS,
                  region_kinds=("county",), minzoom=4),
        TileLayer("courts", "Judicial circuits and Juvenile Court divisions", REGION_FIELDS,
                  region_kinds=("circuit", "division"), minzoom=3),
    )
}


def get_tile_layer(name: str) -> TileLayer:
    try:
        return TILE_LAYERS[name]
    except KeyError:
        raise NotFound(f"no tile layer named {name!r}; tile layers are {', '.join(TILE_LAYERS)}") from None


def check_tile(z: int, x: int, y: int) -> None:
    """A tile address that exists: 0 ≤ z ≤ 22 and 0 ≤ x, y < 2^z."""
    if not 0 <= z <= MAX_ZOOM:
        raise BadRequest(f"zoom {z} is out of range 0–{MAX_ZOOM}")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(f"tile {z}/{x}/{y} does not exist: x and y run from 0 to {2**z - 1} at zoom {z}")


def tiles_meeting(box: tuple[float, float, float, float], z: int) -> list[tuple[int, int, int]]:
    """The web-mercator tiles of zoom z that meet a lon/lat box (west, south, east, north), edges
    included, as a Leaflet grid layer decides which tiles a box needs."""
    n = 2**z

    def column(lon: float) -> int:
        return min(n - 1, max(0, math.floor((lon + 180) / 360 * n)))

    def row(lat: float) -> int:
        lat = max(min(lat, 85.0511287798), -85.0511287798)
        return min(n - 1, max(0, math.floor((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)))

    west, south, east, north = box
    return [(z, x, y) for x in range(column(west), column(east) + 1) for y in range(row(north), row(south) + 1)]


def cell_range(z: int, x: int, y: int) -> dict[str, int]:
    """The service_map_cell level to read for zoom z (the coarsest at or below its grid), the cell
    columns and rows inside tile z/x/y, and how many cells (along each axis) make one cell of this
    zoom's grid. Cell rows count up from the equator, tile rows down."""
    level = next(lv for lv in CELL_LEVELS if lv >= z)
    per_tile = GRID * 2 ** (level - z)
    half = per_tile * 2**z // 2
    return {"level": level, "ix0": x * per_tile - half, "ix1": (x + 1) * per_tile - half,
            "iy0": half - (y + 1) * per_tile, "iy1": half - y * per_tile, "factor": 2 ** (level - z)}


def render_tile(
    conn: Connection,
    layer: str,
    z: int,
    x: int,
    y: int,
    *,
    category: str | None = None,
    stage: str | None = None,
    feature_limit: int = 5000,
    points_min_zoom: int = 12,
    for_map: bool = False,
) -> bytes:
    """One tile as MVT bytes (empty bytes for an empty tile). `for_map`: desert tiles with only the
    fields a map draws, rounded as shown (see tile_deserts.sql). A desert tile whose inputs are
    unchanged since it was built comes from geo/deserts/tile_cache.py."""
    spec = get_tile_layer(layer)
    check_tile(z, x, y)
    params: dict[str, object] = {"z": z, "x": x, "y": y, "limit": feature_limit}
    if spec.name == "services":
        copies_for_reading(conn)
        params |= {"category": category, "stage": stage, "grid": GRID}
        if z >= points_min_zoom:
            sql = query("tile_services_points")
        elif category is None and stage is None and z <= CELL_ZOOM:
            params |= cell_range(z, x, y)
            sql = query("tile_services_cells")
        else:
            sql = query("tile_services_grid")
    elif spec.name == "deserts":
        if z < spec.minzoom or not desert_results_exist(conn):
            return b""
        address = (z, x, y, category, stage, feature_limit, for_map)
        hit = tile_cache.cached(tile_cache.tile_version(conn, z, x, y, category, stage), address)
        if hit is not None:
            return hit
        params |= {"category": category, "stage": stage, "for_map": for_map}
        params |= tile_cells(conn, z, x, y, category=category, stage=stage, limit=feature_limit)
        version = params.pop("version")
        row = conn.execute(query("tile_deserts"), params).fetchone()
        data = bytes(row["tile"]) if row and row["tile"] is not None else b""
        tile_cache.store(version if isinstance(version, str) else None, address, data)
        return data
    else:
        if z < spec.minzoom:
            return b""
        params |= {"kinds": list(spec.region_kinds), "layer": spec.name}
        sql = query("tile_regions")
    row = conn.execute(sql, params).fetchone()
    return bytes(row["tile"]) if row and row["tile"] is not None else b""


def tilejson(layer: str, tiles_url: str, *, bounds: tuple[float, float, float, float] | None = None) -> dict:
    """TileJSON 3.0.0 for one layer; `tiles_url` is the absolute {z}/{x}/{y} template."""
    spec = get_tile_layer(layer)
    return {
        "tilejson": "3.0.0",
        "name": f"Upstream Atlas {spec.name}",
        "description": spec.description,
        "attribution": "Upstream Atlas; boundaries: US Census Bureau",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": spec.minzoom,
        "maxzoom": MAX_ZOOM,
        "bounds": list(bounds or (-180.0, -85.0511, 180.0, 85.0511)),
        "vector_layers": [{"id": spec.name, "description": spec.description, "fields": spec.fields,
                           "minzoom": spec.minzoom, "maxzoom": MAX_ZOOM}],
    }


def data_bounds(conn: Connection, layer: str) -> tuple[float, float, float, float] | None:
    """Where a layer has data (lon/lat), so a client can zoom to it: the states that have courts."""
    get_tile_layer(layer)
    row = conn.execute(
        """SELECT ST_XMin(b) AS minx, ST_YMin(b) AS miny, ST_XMax(b) AS maxx, ST_YMax(b) AS maxy
           FROM (SELECT ST_Extent(geom) AS b FROM region WHERE kind IN ('circuit', 'division')) e"""
    ).fetchone()
    if row is None or row["minx"] is None:
        return None
    return (round(row["minx"], 5), round(row["miny"], 5), round(row["maxx"], 5), round(row["maxy"], 5))


def desert_extents(conn: Connection) -> list[tuple[float, float, float, float]]:
    """Where desert tiles can have cells (lon/lat west, south, east, north): one box per surface of a
    finished run, each the union of its blocks' boxes (cell centres grown by more than a cell), so
    a tile that meets none of them is empty and a map need not ask for it."""
    rows = conn.execute(
        """SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n
           FROM (SELECT ST_Extent(b.bbox) AS e FROM desert_surface_block b
                 WHERE b.surface_id IN (SELECT surface_id FROM desert_run WHERE finished_at IS NOT NULL)
                 GROUP BY b.surface_id ORDER BY b.surface_id) x"""
    ).fetchall()
    # outwards to 4 decimals (11 m), so a box never shrinks
    return [(math.floor(r["w"] * 1e4) / 1e4, math.floor(r["s"] * 1e4) / 1e4,
             math.ceil(r["e"] * 1e4) / 1e4, math.ceil(r["n"] * 1e4) / 1e4) for r in rows]
