"""Finished desert tiles kept in memory, each under the version of everything it was read from, so
one is served again only while every input is exactly as it was.

How the cache stays in step (the one place that says so):

- The version (geo/sql/tile_desert_version.sql) names what a desert tile reads: each surface block
  the tile's envelope meets with the `desert_measure` rows on it (of the category asked), by key
  and row version (PostgreSQL's `xmin`); the runs on those blocks in the order that picks a cell's
  run, with what filters them; and the newest usable run's resolution. Any write that can change
  the tile, by whatever code (a new or recomputed run, `geo/deserts/incremental.py` rewriting the
  measures of the counties an edit reaches, a surface replaced, a run deleted), changes one of
  those, so the next tile's key differs; a recompute's rewrite of its run row alone does not, so
  an edit leaves the cached tiles of the counties it did not reach. Nothing has to remember to
  invalidate.
- It also holds the `desert_withheld` pairs (run, category) themselves, the one input that depends
  on directory tables: a service or location made confidential (or public again) by
  `geo/importer/apply.py` or `geo/edits/` changes that set in the writing transaction, and with it
  the key, so a withheld run's cells are never served from the cache once the write is committed.
- Tiles are stored under the version read in the same statement as their cells (one snapshot),
  never under one read before: content and key always describe the same state.
- A transaction that has written anything gets no version and neither reads nor fills the cache
  (its own rows could change again under the same `xmin`, or be rolled back).
- Keys include the database and server, and the tile's address and options; entries are dropped
  oldest-used first beyond MAX_BYTES. A restart starts empty.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from geo.db import Connection, query

MAX_BYTES = 64 * 1024 * 1024
ENTRY_BYTES = 256  # what an entry costs besides its tile (key, bookkeeping): empty tiles count too

_lock = threading.Lock()
_tiles: OrderedDict[tuple, bytes] = OrderedDict()
_size = 0
stats = {"hits": 0, "misses": 0}  # for tests and benchmarks


def tile_version(conn: Connection, z: int, x: int, y: int, category: str | None,
                 stage: str | None) -> str | None:
    """The version of what tile z/x/y of `category` and `stage` reads now; None inside a
    transaction that wrote."""
    row = conn.execute(query("tile_desert_version"),
                       {"z": z, "x": x, "y": y, "category": category, "stage": stage}).fetchone()
    return row["version"] if row else None


def cached(version: str | None, address: tuple[Hashable, ...]) -> bytes | None:
    """The tile stored under this version and address, if any."""
    if version is None:
        return None
    with _lock:
        data = _tiles.get((version, *address))
        if data is None:
            stats["misses"] += 1
            return None
        _tiles.move_to_end((version, *address))
        stats["hits"] += 1
        return data


def store(version: str | None, address: tuple[Hashable, ...], data: bytes) -> None:
    """Keep a tile built from the state `version` names (read in the same statement as its cells)."""
    global _size
    if version is None or len(data) > MAX_BYTES:
        return
    with _lock:
        key = (version, *address)
        if key in _tiles:
            return
        _tiles[key] = data
        _size += len(data) + ENTRY_BYTES
        while _size > MAX_BYTES:
            _, old = _tiles.popitem(last=False)
            _size -= len(old) + ENTRY_BYTES


def clear() -> None:
    """Forget every tile (tests; never needed for correctness)."""
    global _size
    with _lock:
        _tiles.clear()
        _size = 0
