"""Compact desert storage (migration 0017) answers exactly as the old one did: the same run's
cells written the old way (tests/geo/deserts_legacy.py) and read with the old SQL give the same
GeoJSON (every property and coordinate) and the same vector tiles, truncated ones included."""

from __future__ import annotations

import json

import mapbox_vector_tile
import pytest
from psycopg import sql

from geo.deserts.model import Parameters
from geo.deserts.results import _cells_statement, desert_cells_geojson
from geo.deserts.runs import compute_run
from geo.scope import RegionRef
from geo.tiles import render_tile
from tests.geo.deserts_data import TEST_CATEGORY, add_category, add_service
from tests.geo.deserts_legacy import CELLS_GEOJSON, TILE, write_legacy_cells
from tests.service.test_tiles import tile_of

REGION = RegionRef("circuit", "MO-13")
CATEGORIES = ["food", "mental-health", TEST_CATEGORY]
COLUMBIA = (-92.334, 38.952)


@pytest.fixture
def both(conn):  # type: ignore[no-untyped-def]
    """One run stored compactly, and the same cells in the old table."""
    conn.execute("TRUNCATE desert_run CASCADE")  # only this run draws tiles, until rollback
    add_category(conn, urban_m=4000, rural_m=12000)
    add_service(conn, -92.30, 38.97, capacity=None)
    add_service(conn, -92.05, 38.85, capacity=40, confidential=True, county_fips="29027")
    params = Parameters(resolution=7)
    run_id = compute_run(conn, REGION, categories=CATEGORIES, params=params)
    write_legacy_cells(conn, run_id, REGION, CATEGORIES, params)
    return run_id


def legacy_geojson(conn, region: RegionRef, category: str, measure: str) -> dict:  # type: ignore[no-untyped-def]
    _, params = _cells_statement(conn, region, category, measure=measure, stage=None, resolution=None,
                                 max_cells=60_000)
    statement = sql.SQL(CELLS_GEOJSON).format(measure=sql.SQL("c.{}").format(sql.Identifier(measure)))
    row = conn.execute(sql.SQL("SELECT collection::text AS collection FROM ({}) q").format(statement),
                       params).fetchone()
    return json.loads(row["collection"])


def features(tile: bytes | None) -> list:
    if not tile:
        return []
    layer = mapbox_vector_tile.decode(bytes(tile)).get("deserts", {"features": []})
    return sorted(([f["properties"], f["geometry"]] for f in layer["features"]), key=lambda f: f[0]["h3"])


@pytest.mark.parametrize("measure", ["distance_m", "covered", "access_e2sfca", "population"])
def test_compact_cells_equal_the_old_ones_as_geojson(conn, both, measure):  # type: ignore[no-untyped-def]
    for category in CATEGORIES:
        for region in (REGION, RegionRef("county", "29019")):
            new = json.loads(desert_cells_geojson(conn, region, category, measure=measure))
            old = legacy_geojson(conn, region, category, measure)
            assert len(new["features"]) > 100
            assert new == old


def test_compact_tiles_equal_the_old_ones(conn, both):  # type: ignore[no-untyped-def]
    lon, lat = COLUMBIA
    tiles = [(z, *tile_of(lon + dx, lat + dy, z)) for z in (7, 8, 9, 10) for dx, dy in ((0, 0), (0.6, -0.3))]
    drawn = 0
    for z, x, y in tiles:
        for category in CATEGORIES:
            for limit in (5000, 40):  # a full tile, and one cut at the feature limit
                new = features(render_tile(conn, "deserts", z, x, y, category=category, feature_limit=limit))
                old = conn.execute(TILE, {"z": z, "x": x, "y": y, "category": category, "stage": None,
                                          "limit": limit}).fetchone()["tile"]
                assert new == features(old)
                drawn += len(new)
    assert drawn > 1000
