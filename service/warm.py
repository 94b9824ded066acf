"""Keeping the desert view /map opens on built, in each server worker.

A first view of a state's deserts builds about 30 tiles (~0.8 s of server CPU for Missouri,
bench/README.md "maps"); a repeat view reads them from the tile cache (geo/deserts/tile_cache.py).
A background thread asks, at start and then every `desert_view_warm_s`, for the tiles of each
state's opening view (layers.deserts.opening_views) exactly as the tile endpoint asks for them, so
they land under the same cache address: unchanged tiles cost one version read each, changed ones
(a new run, an edit's recompute) are built here rather than for the first planner to look. Each
tile takes a pooled connection only while it is drawn.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from geo.settings import Settings
from geo.tiles import render_tile
from layers.deserts import opening_views

log = logging.getLogger(__name__)
FIRST_DELAY_S = 1.0  # after start: the first requests go first


def keep_warm(pool: ConnectionPool[Any], settings: Settings, stop: threading.Event) -> None:
    """Until `stop`: build what the opening views lack, then wait `desert_view_warm_s`."""
    delay = FIRST_DELAY_S
    while not stop.wait(delay):
        delay = settings.desert_view_warm_s
        try:
            with pool.connection() as conn:
                views = opening_views(conn)
            for category, tiles in views:
                for z, x, y in tiles:
                    if stop.is_set():
                        return
                    with pool.connection() as conn:
                        render_tile(conn, "deserts", z, x, y, category=category,
                                    feature_limit=settings.tile_feature_limit,
                                    points_min_zoom=settings.tile_points_min_zoom, for_map=True)
        except (psycopg.Error, PoolTimeout) as e:  # the database is down: the next round tries again
            log.warning("could not build the opening desert views (%s); trying again in %s s", type(e).__name__, delay)
        except Exception:  # a bug: its traceback in the log; the server goes on without the warm view
            log.exception("could not build the opening desert views; trying again in %s s", delay)


def start(pool: ConnectionPool[Any], settings: Settings) -> Callable[[], None]:
    """Start keeping the opening views built (unless `desert_view_warm_s` is 0); returns the stop."""
    if not settings.desert_view_warm_s:
        return lambda: None
    stop = threading.Event()
    thread = threading.Thread(target=keep_warm, args=(pool, settings, stop), name="atlas-desert-warm", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=10)

    return halt
