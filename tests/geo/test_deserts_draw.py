"""Drawing tile cells in bulk (geo/deserts/draw.py): every hexagon a tile sends PostgreSQL is the
one H3 draws for its cell, whatever its vertex count, and boxes are rounded outwards as PostGIS
keeps them."""

from __future__ import annotations

import h3.api.basic_int as h3i
import numpy as np

from geo.deserts.draw import _boundaries, _float_boxes, _polygons_ewkb, rings


def test_float_boxes_round_outwards_to_single_precision() -> None:
    lo, hi = _float_boxes(np.array([0.1, -92.3, 1.5]), np.array([0.1, -92.3, 1.5]))
    assert (lo[:2] < [0.1, -92.3]).all() and (hi[:2] > [0.1, -92.3]).all()
    assert lo[2] == hi[2] == 1.5  # exact in single precision: unchanged
    assert (lo.astype(np.float32) == lo).all() and (hi.astype(np.float32) == hi).all()


def test_hexagons_of_every_vertex_count_reach_postgis_as_h3_draws_them(conn) -> None:  # type: ignore[no-untyped-def]
    pentagon = h3i.get_pentagons(7)[0]
    cells = np.array(sorted(h3i.grid_disk(pentagon, 3)), dtype=np.int64)
    groups = _boundaries(cells)
    assert {6, 7, 10} <= set(groups)  # hexagons, ones crossing an icosahedron edge, the pentagon
    order = np.concatenate([where for where, _ in groups.values()])
    blob = _polygons_ewkb([shapes for _, shapes in groups.values()])
    rows = conn.execute("SELECT (d).path[1] AS n, ST_SRID((d).geom) AS srid, ST_AsBinary((d).geom) AS wkb "
                        "FROM (SELECT ST_Dump(ST_GeomFromEWKB(%s::bytea)) AS d) s ORDER BY 1", [blob]).fetchall()
    assert [r["n"] for r in rows] == list(range(1, len(cells) + 1))
    expected = rings(cells.tolist())
    for row, k in zip(rows, order.tolist(), strict=True):
        ring = expected[k]
        assert row["srid"] == 4326
        points = np.frombuffer(bytes(row["wkb"])[13:], dtype="<f8").reshape(-1, 2)
        assert np.array_equal(points, ring)  # the closed ring, bit for bit
