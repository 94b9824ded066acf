"""Drawing stored cells: each cell's hexagon is built from its H3 index when it is shown, for
GeoJSON and for vector tiles, never stored (migration 0017).

The hexagons are the ones runs used to store: H3's boundary in lon/lat, closed, in H3's vertex
order; GeoJSON coordinates are rounded to 6 decimals as PostGIS's ST_AsGeoJSON(geom, 6) did.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from functools import cache

import h3.api.basic_int as h3i
import numpy as np
import orjson

from geo.db import Connection, query
from geo.deserts.tile_geometry import tile_rings


def rings(cells: Sequence[int] | np.ndarray) -> list[np.ndarray]:
    """Each cell's closed boundary ring as an (n + 1, 2) array of lon/lat (from _boundaries, the
    one place hexagons are drawn)."""
    out: list[np.ndarray] = [np.zeros((0, 2))] * len(cells)
    for where, shapes in _boundaries(np.asarray(cells, dtype=np.int64)).values():
        closed = np.concatenate([shapes, shapes[:, :1]], axis=1)
        for k, ring in zip(where.tolist(), closed, strict=True):
            out[k] = ring
    return out


def geometry_json(ring: np.ndarray) -> bytes:
    """A polygon as GeoJSON bytes, 6 decimals."""
    return b'{"type":"Polygon","coordinates":[' + orjson.dumps(np.round(ring, 6).tolist()) + b"]}"


def feature_collection(run: str, measure: str, cells: Sequence[int], properties: Sequence[str]) -> str:
    """The cells API's FeatureCollection text: the run summary, the measure, one feature per cell
    with its stored properties and its hexagon."""
    parts = []
    for cell, props, ring in zip(cells, properties, rings(cells), strict=True):
        parts.append(b'{"type":"Feature","id":"%s","properties":%s,"geometry":%s}'
                     % (format(int(cell), "x").encode(), props.encode(), geometry_json(ring)))
    head = b'{"type":"FeatureCollection","run":%s,"measure":%s,"features":[' % (run.encode(), orjson.dumps(measure))
    return (head + b",".join(parts) + b"]}").decode()


def _float_boxes(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extents as PostGIS boxes keep them: single precision, rounded outwards."""
    f_lo, f_hi = lo.astype(np.float32), hi.astype(np.float32)
    f_lo = np.where(f_lo.astype(float) > lo, np.nextafter(f_lo, np.float32(-np.inf)), f_lo)
    f_hi = np.where(f_hi.astype(float) < hi, np.nextafter(f_hi, np.float32(np.inf)), f_hi)
    return f_lo.astype(float), f_hi.astype(float)


def _boundaries(cells: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The cells' hexagons grouped by vertex count (6; 5 for pentagons; more where a hexagon crosses
    an icosahedron edge): for each count, the positions of its cells and their open boundaries as
    an (m, count, 2) array of lon/lat, in H3's vertex order."""
    by_size: dict[int, tuple[list[int], list]] = {}
    for k, cell in enumerate(cells.tolist()):
        ring = h3i.cell_to_boundary(cell)
        where, shapes = by_size.setdefault(len(ring), ([], []))
        where.append(k)
        shapes.append(ring)
    return {n: (np.asarray(where, dtype=np.int64), np.asarray(shapes, dtype=float)[:, :, ::-1])
            for n, (where, shapes) in by_size.items()}


def _polygons_ewkb(groups: list[np.ndarray], srid: int | None = 4326) -> bytes:
    """Rings (one (m, n, 2) array per vertex count: open, or closed when srid is None) as one
    MultiPolygon, EWKB with SRID 4326 (lon/lat) or plain WKB (tile coordinates), polygons in the
    order given, for PostGIS to split (ST_Dump), clip and encode."""
    parts = []
    for rings in groups:
        m, n = rings.shape[:2]
        points = n + 1 if srid else n
        polygon = np.dtype([("order", "u1"), ("type", "<u4"), ("rings", "<u4"), ("points", "<u4"),
                            ("xy", "<f8", (points, 2))])
        out = np.zeros(m, dtype=polygon)
        out["order"], out["type"], out["rings"], out["points"] = 1, 3, 1, points
        out["xy"][:, :n] = rings
        if srid:
            out["xy"][:, n] = rings[:, 0]
        parts.append(out.tobytes())
    count = sum(len(r) for r in groups)
    head = struct.pack("<BIII", 1, 0x20000006, srid, count) if srid else struct.pack("<BII", 1, 6, count)
    return head + b"".join(parts)


_WAGYU: list[bool] = []  # asked once per process: one PostGIS build per server


def _wagyu(conn: Connection) -> bool:
    """Whether PostGIS clips tiles with Wagyu (whose output geo/deserts/tile_geometry.py mirrors)."""
    if not _WAGYU:
        row = conn.execute("SELECT to_regproc('postgis_wagyu_version') IS NOT NULL AS wagyu").fetchone()
        _WAGYU.append(bool(row and row["wagyu"]))
    return _WAGYU[0]


def _positions(order: list[np.ndarray]) -> str:
    """1-based positions among the candidates, as an array literal."""
    return "{" + ",".join(str(k + 1) for part in order for k in part.tolist()) + "}"


VALUE_COLUMNS = ("category", "stage", "population", "urban", "covered", "distance_m", "threshold_m",
                 "access_2sfca", "access_e2sfca")


@cache
def cells_sql() -> str:
    """tile_desert_cells.sql with tile_desert_version.sql in it, so both read one snapshot."""
    return query("tile_desert_cells").replace("-- include: tile_desert_version", query("tile_desert_version"))


def tile_cells(conn: Connection, z: int, x: int, y: int, *, category: str | None, stage: str | None,
               limit: int, fast: bool = True) -> dict[str, object]:
    """The cells one desert tile draws, as the parameters of tile_deserts.sql: for each H3 cell
    touching the tile (with its buffer), the newest usable run's values (tile_desert_cells.sql),
    the first `limit` by H3 index, with their hexagons. A cell counts as touching when its
    hexagon's box overlaps the tile's box, as a GiST `&&` on stored polygons did.

    The values go back to PostgreSQL as the text tile_desert_cells.sql returned, never parsed
    here; only the H3 indexes are read, to draw every candidate's hexagon at once (numpy). The
    hexagons travel as one MultiPolygon, with `cell_keep`: for each of its polygons, the position
    of its cell among the candidates (tile_deserts.sql joins them back and orders by it).
    `version` (not a parameter of tile_deserts.sql) is what the cells were read from, or None
    (tile_desert_version.sql; geo/deserts/tile_cache.py). With `fast`, hexagons that
    geo/deserts/tile_geometry.py can draw exactly as PostGIS would come already in tile
    coordinates (`cell_ready_*`); without it, every hexagon goes through ST_AsMVTGeom."""
    fetch = 2 * limit
    while True:
        row = conn.execute(cells_sql(), {
            "z": z, "x": x, "y": y, "category": category, "stage": stage, "limit": fetch,
            "lat_factor": _lat_factor(z, y)}).fetchone()
        assert row is not None
        cells = np.array(row["h3"].split(",") if row["h3"] else [], dtype=np.int64)
        env_x = _float_boxes(np.array([row["xmin"]]), np.array([row["xmax"]]))
        env_y = _float_boxes(np.array([row["ymin"]]), np.array([row["ymax"]]))
        groups = _boundaries(cells)
        touching = np.zeros(len(cells), dtype=bool)
        for where, rings in groups.values():
            bx = _float_boxes(rings[:, :, 0].min(axis=1), rings[:, :, 0].max(axis=1))
            by = _float_boxes(rings[:, :, 1].min(axis=1), rings[:, :, 1].max(axis=1))
            touching[where] = ((bx[0] <= env_x[1]) & (bx[1] >= env_x[0])
                               & (by[0] <= env_y[1]) & (by[1] >= env_y[0]))
        keep = np.flatnonzero(touching)[:limit]
        if len(keep) == limit or len(cells) < fetch:
            break
        fetch *= 4  # the first candidates were mostly outside the tile: read further
    kept = np.zeros(len(cells), dtype=bool)
    kept[keep] = True
    envelope = (row["tile_xmin"], row["tile_ymin"], row["tile_xmax"], row["tile_ymax"])
    order, shapes, ready_order, ready_shapes = [], [], [], []
    for where, rings in groups.values():
        mine = kept[where]
        here, mine_rings = where[mine], rings[mine]
        drawn = np.zeros(len(here), dtype=bool)
        if fast and len(here) and _wagyu(conn):
            drawn, points = tile_rings(mine_rings, envelope)
            ready_order.append(here[drawn])
            ready_shapes.append(points[drawn])
        order.append(here[~drawn])
        shapes.append(mine_rings[~drawn])
    values = {f"cell_{name}": row[name] or "{}" for name in VALUE_COLUMNS}
    return {**values, "version": row["version"], "cell_h3": "{" + (row["h3"] or "") + "}",
            "cell_keep": _positions(order), "cell_shapes": _polygons_ewkb(shapes),
            "cell_ready_keep": _positions(ready_order), "cell_ready_shapes": _polygons_ewkb(ready_shapes, None)}


def _lat_factor(z: int, y: int) -> float:
    """Degrees of longitude per degree of latitude at the tile's edge nearer the pole: a cell
    centre's margin beyond the tile (tile_desert_cells.sql) is that much wider east-west."""
    n = 2**z
    lat = max(abs(math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * t / n))))) for t in (y, y + 1))
    return 1 / max(math.cos(math.radians(min(lat, 85.0))), 0.05)
