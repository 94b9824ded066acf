"""Hexagons in a tile's own coordinates, exactly as PostGIS draws them in a vector tile, so most of a
desert tile's hexagons skip `ST_Transform` and `ST_AsMVTGeom` (about a third of building a tile).

`ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true)` with PostGIS
built with Wagyu (postgis_wagyu_version()) does, for a polygon: spherical Mercator (PROJ: x = R λ,
y = R asinh(tan φ)), the affine map fx = 4096 / width, fy = -4096 / height, x' = fx x - xmin fx,
y' = fy y - ymax fy, rounding half to even, then Wagyu's clip and validation, which gives a
ring oriented with positive shoelace sum in tile units, starting at its point of least y.

Only hexagons where that is certain are drawn here: every vertex strictly inside the buffered
tile (no clipping), a strictly convex ring after rounding (no repeated or collinear points, which
Wagyu would drop) and a single point of least y (no tie for Wagyu to break). Every other hexagon,
and every hexagon where PostGIS is built without Wagyu, goes to PostGIS as before. Tiles stay
byte-identical (tests/geo/test_deserts_draw.py compares both paths).
"""

from __future__ import annotations

import numpy as np

RADIUS = 6378137.0
EXTENT, BUFFER = 4096, 64


def tile_rings(rings: np.ndarray, envelope: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """For (m, n, 2) open lon/lat rings and the tile's envelope (xmin, ymin, xmax, ymax in EPSG:3857):
    which rings are drawn here, and all rings as closed (m, n + 1, 2) tile coordinates in the order
    PostGIS would give (meaningful only where drawn here)."""
    xmin, ymin, xmax, ymax = envelope
    fx, fy = EXTENT / (xmax - xmin), -(EXTENT / (ymax - ymin))
    mx = RADIUS * np.radians(rings[:, :, 0])
    my = RADIUS * np.arcsinh(np.tan(np.radians(rings[:, :, 1])))
    tx = np.rint(fx * mx + (-xmin * fx))
    ty = np.rint(fy * my + (-ymax * fy))
    inside = ((tx > -BUFFER) & (tx < EXTENT + BUFFER) & (ty > -BUFFER) & (ty < EXTENT + BUFFER)).all(axis=1)
    # edges and turns, around the ring
    ex, ey = np.roll(tx, -1, axis=1) - tx, np.roll(ty, -1, axis=1) - ty
    turn = ex * np.roll(ey, -1, axis=1) - ey * np.roll(ex, -1, axis=1)
    convex = (turn > 0).all(axis=1) | (turn < 0).all(axis=1)
    least = ty.min(axis=1, keepdims=True)
    single = (ty == least).sum(axis=1) == 1
    drawn = inside & convex & single
    # orientation: positive shoelace sum; start: the point of least y
    area = (tx * np.roll(ty, -1, axis=1) - np.roll(tx, -1, axis=1) * ty).sum(axis=1)
    n = rings.shape[1]
    steps = np.where(area[:, None] > 0, np.arange(n), -np.arange(n))
    start = np.argmin(ty, axis=1)[:, None]
    order = (start + steps) % n
    order = np.concatenate([order, order[:, :1]], axis=1)
    points = np.stack([np.take_along_axis(tx, order, axis=1), np.take_along_axis(ty, order, axis=1)], axis=2)
    return drawn, points
