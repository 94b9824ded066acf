"""Drawing tile cells in bulk (geo/deserts/draw.py): every hexagon a tile sends PostgreSQL is the
one H3 draws for its cell, whatever its vertex count, boxes are rounded outwards as PostGIS keeps
them, and hexagons drawn in tile coordinates here (geo/deserts/tile_geometry.py) give tiles
byte-identical to ST_AsMVTGeom's, at every zoom, truncated ones too."""

from __future__ import annotations

import h3.api.basic_int as h3i
import numpy as np
import pytest

from geo.db import query
from geo.deserts.draw import _boundaries, _float_boxes, _polygons_ewkb, rings, tile_cells
from geo.deserts.model import Parameters
from geo.deserts.runs import compute_run
from geo.scope import RegionRef
from tests.geo.deserts_data import TEST_CATEGORY, add_category, add_service
from tests.service.test_tiles import tile_of


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
    drawn = rings(cells.tolist())
    for row, k in zip(rows, order.tolist(), strict=True):
        ring = np.asarray(h3i.cell_to_boundary(int(cells[k])), dtype=float)[:, ::-1]  # H3's own, lon/lat
        ring = np.concatenate([ring, ring[:1]])
        assert np.array_equal(drawn[k], ring)  # GeoJSON's ring: the same hexagon
        assert row["srid"] == 4326
        points = np.frombuffer(bytes(row["wkb"])[13:], dtype="<f8").reshape(-1, 2)
        assert np.array_equal(points, ring)  # the closed ring, bit for bit


@pytest.mark.parametrize("resolution", [7, 8])
def test_hexagons_drawn_in_tile_coordinates_give_the_tiles_postgis_draws(conn, resolution):  # type: ignore[no-untyped-def]
    conn.execute("TRUNCATE desert_run CASCADE")  # only this run draws tiles, until rollback
    add_category(conn, urban_m=4000, rural_m=12000)
    add_service(conn, -92.30, 38.97, capacity=None)
    compute_run(conn, RegionRef("circuit", "MO-13"), categories=["food", TEST_CATEGORY],
                params=Parameters(resolution=resolution))
    ready = 0
    for z in (5, 6, 7, 8, 9, 10, 12):
        for lon, lat in ((-92.334, 38.952), (-91.9, 38.7)):
            x, y = tile_of(lon, lat, z)
            for category, limit, for_map in (("food", 5000, True), (TEST_CATEGORY, 5000, False), ("food", 40, False)):
                tiles = []
                for fast in (False, True):
                    params = tile_cells(conn, z, x, y, category=category, stage=None, limit=limit, fast=fast)
                    params.pop("version")
                    ready += fast * (str(params["cell_ready_keep"]).count(",") + 1)
                    row = conn.execute(query("tile_deserts"), {"z": z, "x": x, "y": y, "for_map": for_map, **params})
                    tiles.append(bytes(row.fetchone()["tile"]))
                assert tiles[0] == tiles[1], (z, x, y, category, limit)
    assert ready > 1000
