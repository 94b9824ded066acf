"""The desert view /map opens on is kept built (service/warm.py): with a statewide run of Missouri
committed, an app's background thread builds every tile of the state's opening view into the tile
cache under the address the tile endpoint uses, so the endpoint's answer is a cache hit; the
thread stops with the app; a database that is down is a warning in the log, not a crash; and the
tiles it builds are exactly the ones Chromium asks for, on a
desktop and on a phone."""

from __future__ import annotations

import logging
import threading
import time

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from geo.deserts import tile_cache
from layers.deserts import opening_views
from service.app import create_app
from tests.conftest import free_port
from tests.geo.deserts_data import TEST_CATEGORY


def _built(conn, settings, category: str, tiles: list) -> int:  # type: ignore[no-untyped-def]
    """How many of the tiles the cache holds under their current version, at the endpoint's address."""
    return sum(tile_cache.cached(tile_cache.tile_version(conn, z, x, y, category, None),
                                 (z, x, y, category, None, settings.tile_feature_limit, True)) is not None
               for z, x, y in tiles)


def test_the_opening_view_is_built_in_the_background_and_served_from_the_cache(settings, missouri_run):
    tile_cache.clear()
    warm = settings.model_copy(update={"desert_view_warm_s": 0.5})
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:  # type: ignore[arg-type]
        views = opening_views(conn)
        assert [category for category, _ in views] == [TEST_CATEGORY]  # Missouri's; Massachusetts has no run
        tiles = views[0][1]
        assert 20 <= len(tiles) <= 40 and {z for z, _, _ in tiles} == {8}
        assert _built(conn, settings, TEST_CATEGORY, tiles) == 0
        with TestClient(create_app(warm)) as client:
            deadline = time.monotonic() + 60
            while _built(conn, settings, TEST_CATEGORY, tiles) < len(tiles):
                assert time.monotonic() < deadline, "the opening view was not built within 60 s"
                time.sleep(0.5)
            z, x, y = tiles[len(tiles) // 2]
            before = dict(tile_cache.stats)
            r = client.get(f"/tiles/deserts/{z}/{x}/{y}.mvt", params={"category": TEST_CATEGORY, "fields": "map"})
            assert r.status_code in (200, 204)
            assert tile_cache.stats["hits"] == before["hits"] + 1 and tile_cache.stats["misses"] == before["misses"]
    assert not any(t.name == "atlas-desert-warm" for t in threading.enumerate())


def test_a_database_that_is_down_is_a_warning_and_the_server_answers(settings, caplog):
    caplog.set_level(logging.WARNING, logger="service.warm")
    down = settings.model_copy(update={"desert_view_warm_s": 0.5,
                                        "database_url": f"postgresql://atlas:x@127.0.0.1:{free_port()}/atlas"})
    with TestClient(create_app(down)) as client:
        deadline = time.monotonic() + 20
        while not any("could not build the opening desert views (PoolTimeout)" in r.getMessage()
                      for r in caplog.records):
            assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
            time.sleep(0.5)
        assert client.get("/health").status_code == 503
    assert not any(r.levelno >= logging.ERROR for r in caplog.records if r.name == "service.warm")


@pytest.mark.browser
def test_the_opening_view_is_the_tiles_a_browser_asks_for(browser, live_server, missouri_run, settings):
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:  # type: ignore[arg-type]
        views = opening_views(conn)
    warmed = {(z, x, y) for z, x, y in views[0][1]}
    for viewport in ({"width": 1280, "height": 800}, {"width": 390, "height": 844}):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        asked: set[tuple[int, int, int]] = set()

        def note(request, asked=asked) -> None:  # type: ignore[no-untyped-def]
            if "/tiles/deserts/" in request.url:
                z, x, y = request.url.split("/tiles/deserts/")[1].split(".mvt")[0].split("/")
                asked.add((int(z), int(x), int(y)))
                assert f"category={TEST_CATEGORY}" in request.url and "fields=map" in request.url

        page.on("request", note)
        try:
            assert page.goto(f"{live_server.url}/map?state=MO").status == 200  # opens on the top category
            page.locator("body[data-atlas-loaded]").wait_for(timeout=30_000)
            page.wait_for_timeout(1500)  # the tiles are asked for as the map settles
            assert asked == warmed, (sorted(asked - warmed), sorted(warmed - asked))  # the whole state shows
        finally:
            context.close()
