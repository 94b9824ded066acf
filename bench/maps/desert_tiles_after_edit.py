"""Statewide desert tiles after an edit's recompute: how many the tile cache still serves.

Draws the zoom-8 desert tiles over Missouri for one category in process (render_tile, the cache of
geo/deserts/tile_cache.py), cold and warm; then moves one public service of the category 2 km east
and back, each move committed and followed by `refresh_runs` (what `atlas deserts refresh` does
after edits), drawing the tiles again after each. Prints (from the cache, built, seconds, bytes).
The service ends where it was; the runs are updated twice. Run it on the demo database.

    .venv/bin/python -m bench.maps.desert_tiles_after_edit [mental-health]
"""

from __future__ import annotations

import sys
import time

from geo.db import connect
from geo.deserts import tile_cache
from geo.deserts.incremental import refresh_runs
from geo.settings import Settings
from geo.tiles import render_tile, tiles_meeting

MISSOURI = (-95.8, 35.9, -89.1, 40.7)


def main() -> None:
    category = sys.argv[1] if len(sys.argv) > 1 else "mental-health"
    conn = connect(Settings(), autocommit=True)

    def draw_all() -> tuple[int, int, float, int]:
        before = dict(tile_cache.stats)
        started = time.perf_counter()
        size = sum(len(render_tile(conn, "deserts", *t, category=category, for_map=True)) for t in tiles_meeting(MISSOURI, 8))
        return (tile_cache.stats["hits"] - before["hits"], tile_cache.stats["misses"] - before["misses"],
                round(time.perf_counter() - started, 3), size)

    tile_cache.clear()
    print("cold (from the cache, built, s, bytes)", draw_all())
    print("warm", draw_all())
    row = conn.execute("""SELECT location_id FROM service_point WHERE categories @> ARRAY[%s]
                          AND county_fips LIKE '29%%' AND NOT confidential ORDER BY id LIMIT 1""",
                       [category]).fetchone()
    assert row is not None, f"no public {category} service in Missouri"
    for dx in (0.02, -0.02):
        with conn.transaction():
            conn.execute("""UPDATE location SET geom = ST_SetSRID(ST_MakePoint(ST_X(geom) + %s, ST_Y(geom)), 4326),
                                   updated_at = now() WHERE id = %s""", [dx, row["location_id"]])
        with conn.transaction():
            done = refresh_runs(conn, None)
        print(f"moved {dx:+} degrees, runs {done}: after the edit", draw_all())


if __name__ == "__main__":
    main()
