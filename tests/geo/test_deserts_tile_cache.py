"""Desert tiles come from the cache (geo/deserts/tile_cache.py) only while everything they read is
unchanged, committed as the app would: a site made confidential through the editing API withholds
the next tile (and again after being public in between), an incremental run update gives the next
tile its new values and leaves the tiles of counties it did not reach cached (exactly what a build
from scratch gives), and a transaction that wrote never reads or fills the cache."""

from __future__ import annotations

import math
from collections.abc import Iterator

import mapbox_vector_tile
import psycopg
import pytest
from psycopg.rows import dict_row

from geo.deserts import tile_cache
from geo.deserts.incremental import update_run
from geo.deserts.model import Parameters
from geo.deserts.runs import compute_run
from geo.edits.schemas import ServicePatch
from geo.edits.write import update
from geo.keys import create_key
from geo.scope import RegionRef
from geo.tiles import render_tile
from tests.geo.deserts_data import (
    COLUMBIA,
    ST_LOUIS,
    TEST_CATEGORY,
    add_category,
    add_service,
    near_grid_corner,
    remove_test_data,
)
from tests.service.editing import cleanup_edits

KEY_NAME = "tile-cache-test"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def features(data: bytes) -> list[dict]:
    return mapbox_vector_tile.decode(data).get("deserts", {}).get("features", []) if data else []


@pytest.fixture
def shelter_run(settings) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    """A committed run over Boone county measured from one public shelter; removed afterwards."""
    with psycopg.connect(settings.url(), row_factory=dict_row) as conn:  # type: ignore[arg-type]
        add_category(conn, urban_m=5000, rural_m=5000)
        site = near_grid_corner(*COLUMBIA)
        service_id = add_service(conn, *site, county_fips="29019")
        run_id = compute_run(conn, RegionRef("county", "29019"), categories=[TEST_CATEGORY],
                             params=Parameters(resolution=7))
        key, _ = create_key(conn, KEY_NAME, "admin")
        conn.commit()
        yield {"conn": conn, "site": site, "service_id": service_id, "run_id": run_id, "key": key,
               "tile": tile_of(*site, 10)}
        conn.rollback()
        conn.execute("DELETE FROM desert_run WHERE region_kind = 'county' AND region_code = '29019'")
        cleanup_edits(conn, [KEY_NAME])
        remove_test_data(conn)
        conn.commit()


def draw(conn, tile: tuple[int, int, int]) -> tuple[bytes, str]:  # type: ignore[no-untyped-def]
    """The tile and whether it came from the cache ('hit'), was built ('miss') or bypassed it."""
    before = dict(tile_cache.stats)
    data = render_tile(conn, "deserts", *tile, category=TEST_CATEGORY)
    how = ("hit" if tile_cache.stats["hits"] > before["hits"] else
           "miss" if tile_cache.stats["misses"] > before["misses"] else "bypass")
    return data, how


def test_an_unchanged_tile_is_served_again_from_the_cache(committed_conn, shelter_run):  # type: ignore[no-untyped-def]
    first, how = draw(committed_conn, shelter_run["tile"])
    assert features(first) and how == "miss"
    again, how = draw(committed_conn, shelter_run["tile"])
    assert (again, how) == (first, "hit")


def test_a_site_made_confidential_by_an_edit_withholds_the_next_tile(committed_conn, shelter_run):  # type: ignore[no-untyped-def]
    conn, tile = shelter_run["conn"], shelter_run["tile"]
    public, _ = draw(committed_conn, tile)
    assert draw(committed_conn, tile)[1] == "hit" and features(public)

    def make_confidential(value: bool) -> None:
        update(conn, shelter_run["key"], "service", shelter_run["service_id"], ServicePatch(confidential=value))
        conn.commit()

    make_confidential(True)
    withheld, how = draw(committed_conn, tile)
    assert features(withheld) == [] and how == "miss"
    make_confidential(False)  # public again: the run is served again ...
    assert draw(committed_conn, tile) == (public, "hit")
    make_confidential(True)  # ... and withheld again, never the public tile from before
    assert draw(committed_conn, tile) == (withheld, "hit")
    assert features(withheld) == []


def test_an_incremental_run_update_gives_the_next_tile_its_new_values(committed_conn, shelter_run):  # type: ignore[no-untyped-def]
    conn, tile = shelter_run["conn"], shelter_run["tile"]
    before, _ = draw(committed_conn, tile)
    assert draw(committed_conn, tile)[1] == "hit"
    lon, lat = shelter_run["site"]
    conn.execute("""UPDATE location SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), updated_at = now()
                    WHERE id IN (SELECT location_id FROM service_at_location WHERE service_id = %s)""",
                 [lon + 0.05, lat - 0.03, shelter_run["service_id"]])
    result = update_run(conn, shelter_run["run_id"])
    assert result is not None and result.cells_changed > 0
    conn.commit()
    after, how = draw(committed_conn, tile)
    assert how == "miss" and features(after) and after != before
    tile_cache.clear()
    assert draw(committed_conn, tile) == (after, "miss")  # what a build from scratch gives


def test_an_edit_rebuilds_only_the_tiles_of_the_counties_its_recompute_reaches(committed_conn, missouri_run):  # type: ignore[no-untyped-def]
    conn = missouri_run["conn"]
    near, far = tile_of(*missouri_run["site"], 10), tile_of(*ST_LOUIS, 10)
    tile_cache.clear()
    first = {tile: draw(committed_conn, tile)[0] for tile in (near, far)}
    assert all(features(data) for data in first.values())
    lon, lat = missouri_run["site"]
    conn.execute("""UPDATE location SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), updated_at = now()
                    WHERE id IN (SELECT location_id FROM service_at_location WHERE service_id = %s)""",
                 [lon + 0.05, lat - 0.03, missouri_run["service_id"]])  # Columbia's shelter moves 5 km
    result = update_run(conn, missouri_run["run_id"])
    assert result is not None and 0 < result.counties_rewritten < 115
    conn.commit()
    assert draw(committed_conn, far) == (first[far], "hit")  # St. Louis: not reached, still cached
    after, how = draw(committed_conn, near)
    assert how == "miss" and after != first[near]
    tile_cache.clear()  # and what was kept is what a build from scratch gives now
    assert draw(committed_conn, far) == (first[far], "miss")
    assert draw(committed_conn, near) == (after, "miss")


def test_a_transaction_that_wrote_never_reads_or_fills_the_cache(conn, committed_conn, shelter_run):  # type: ignore[no-untyped-def]
    tile = shelter_run["tile"]
    cached, _ = draw(committed_conn, tile)
    conn.execute("UPDATE service SET confidential = true WHERE id = %s", [shelter_run["service_id"]])
    mine, how = draw(conn, tile)  # sees its own uncommitted write, not the cached tile
    assert how == "bypass" and features(mine) == [] and features(cached)
    conn.rollback()
    assert draw(committed_conn, tile) == (cached, "hit")


def test_the_cache_keeps_to_its_size_counting_empty_tiles_too() -> None:
    tile_cache.clear()
    try:
        for k in range(tile_cache.MAX_BYTES // tile_cache.ENTRY_BYTES + 10):
            tile_cache.store("v", (k,), b"")
        assert len(tile_cache._tiles) == tile_cache.MAX_BYTES // tile_cache.ENTRY_BYTES
        assert tile_cache.cached("v", (0,)) is None and tile_cache.cached("v", (10_000,)) == b""
    finally:
        tile_cache.clear()
