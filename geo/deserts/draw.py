"""Drawing stored cells: each cell's hexagon is built from its H3 index when it is shown, for
GeoJSON and for vector tiles, never stored (migration 0017).

The hexagons are the ones runs used to store: H3's boundary in lon/lat, closed, in H3's vertex
order; GeoJSON coordinates are rounded to 6 decimals as PostGIS's ST_AsGeoJSON(geom, 6) did.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

import h3.api.basic_int as h3i
import numpy as np
import orjson

from geo.db import Connection, query


def rings(cells: Sequence[int]) -> list[np.ndarray]:
    """Each cell's closed boundary ring as an (n + 1, 2) array of lon/lat."""
    out = []
    for cell in cells:
        ring = np.asarray(h3i.cell_to_boundary(int(cell)), dtype=float)[:, ::-1]
        out.append(np.concatenate([ring, ring[:1]]))
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


def _polygon_ewkb(ring: np.ndarray) -> bytes:
    """A polygon as EWKB with SRID 4326, for PostGIS to clip and encode in a tile."""
    return struct.pack("<BIIII", 1, 0x20000003, 4326, 1, len(ring)) + np.ascontiguousarray(ring, "<f8").tobytes()


def _float_box(lo: float, hi: float) -> tuple[float, float]:
    """An extent as PostGIS boxes keep it: single precision, rounded outwards."""
    f_lo, f_hi = np.float32(lo), np.float32(hi)
    if f_lo > lo:
        f_lo = np.nextafter(f_lo, np.float32(-np.inf))
    if f_hi < hi:
        f_hi = np.nextafter(f_hi, np.float32(np.inf))
    return float(f_lo), float(f_hi)


def tile_cells(conn: Connection, z: int, x: int, y: int, *, category: str | None, stage: str | None,
               limit: int) -> dict[str, object]:
    """The cells one desert tile draws, as the parameters of tile_deserts.sql: for each H3 cell
    touching the tile (with its buffer), the newest usable run's values (tile_desert_cells.sql),
    the first `limit` by H3 index, with their hexagons. A cell counts as touching when its
    hexagon's box overlaps the tile's box, as a GiST `&&` on stored polygons did."""
    fetch = 2 * limit
    while True:
        row = conn.execute(query("tile_desert_cells"), {
            "z": z, "x": x, "y": y, "category": category, "stage": stage, "limit": fetch,
            "lat_factor": _lat_factor(z, y)}).fetchone()
        assert row is not None
        cells = row["h3"] or []
        env_x, env_y = _float_box(row["xmin"], row["xmax"]), _float_box(row["ymin"], row["ymax"])
        keep, shapes = [], []
        for k, ring in enumerate(rings(cells)):
            bx = _float_box(float(ring[:, 0].min()), float(ring[:, 0].max()))
            by = _float_box(float(ring[:, 1].min()), float(ring[:, 1].max()))
            if bx[0] <= env_x[1] and bx[1] >= env_x[0] and by[0] <= env_y[1] and by[1] >= env_y[0]:
                keep.append(k)
                shapes.append(_polygon_ewkb(ring))
            if len(keep) == limit:
                break
        if len(keep) == limit or len(cells) < fetch:
            break
        fetch *= 4  # the first candidates were mostly outside the tile: read further
    pick = np.asarray(keep, dtype=np.int64)

    def column(name: str) -> list:
        values = row[name] or []
        return [values[k] for k in pick.tolist()]

    return {"cell_h3": [format(int(c), "x") for c in column("h3")], "cell_category": column("category"),
            "cell_stage": column("stage"), "cell_population": column("population"),
            "cell_urban": column("urban"), "cell_covered": column("covered"),
            "cell_distance_m": column("distance_m"), "cell_threshold_m": column("threshold_m"),
            "cell_access_2sfca": column("access_2sfca"), "cell_access_e2sfca": column("access_e2sfca"),
            "cell_geom": shapes}


def _lat_factor(z: int, y: int) -> float:
    """Degrees of longitude per degree of latitude at the tile's edge nearer the pole: a cell
    centre's margin beyond the tile (tile_desert_cells.sql) is that much wider east-west."""
    n = 2**z
    lat = max(abs(math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * t / n))))) for t in (y, y + 1))
    return 1 / max(math.cos(math.radians(min(lat, 85.0))), 0.05)
