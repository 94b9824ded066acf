"""Tile throughput for the services layer: our /tiles/services against tipg serving the same
public points (service_map_point), on the same random tile set (zoom 8–12 over Missouri), in the
same run, with the same number of concurrent clients."""

from __future__ import annotations

import math
import random
import statistics
import threading
import time
from dataclasses import dataclass

import httpx
import shapely

from bench.maps.servers import atlas_server, tipg_server
from geo.db import connect
from geo.settings import Settings
from service.process import ServerProcess

TABLE = "public.service_map_point"
TIPG_PROPERTIES = "service_id,name,organization,is_sample,county_fips,categories,stages"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def random_tiles(settings: Settings, count: int, seed: int = 8) -> list[tuple[int, int, int]]:
    """Tiles at zoom 8–12 (uniform) around random points inside Missouri."""
    with connect(settings) as conn:
        row = conn.execute("SELECT ST_AsBinary(geom) AS wkb FROM region WHERE kind = 'state' AND code = '29'").fetchone()
    assert row is not None
    missouri = shapely.from_wkb(bytes(row["wkb"]))
    shapely.prepare(missouri)
    minx, miny, maxx, maxy = missouri.bounds
    rng = random.Random(seed)
    tiles = []
    while len(tiles) < count:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(missouri, lon, lat):
            tiles.append(tile_of(lon, lat, rng.randint(8, 12)))
    return tiles


@dataclass
class TileRun:
    server: str
    tiles: int
    seconds: float
    latencies_ms: list[float]
    bytes: int
    errors: int

    @property
    def per_second(self) -> float:
        return self.tiles / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def hammer(name: str, template: str, tiles: list[tuple[int, int, int]], clients: int) -> TileRun:
    """Fetch every tile once with `clients` concurrent keep-alive clients."""
    latencies: list[float] = []
    sizes: list[int] = []
    errors = [0]
    lock = threading.Lock()
    work = iter(tiles)

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while True:
                with lock:
                    tile = next(work, None)
                if tile is None:
                    return
                z, x, y = tile
                started = time.perf_counter()
                response = http.get(template.format(z=z, x=x, y=y))
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    sizes.append(len(response.content))
                    if response.status_code not in (200, 204):
                        errors[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return TileRun(name, len(tiles), time.perf_counter() - started, latencies, sum(sizes), errors[0])


def run(settings: Settings, count: int = 1000, clients: int = 4, rounds: int = 2) -> list[TileRun]:
    """Both servers up at once; rounds alternate atlas, tipg, atlas, tipg on the same tiles."""
    tiles = random_tiles(settings, count)
    warm = random_tiles(settings, 100, seed=99)
    servers: dict[str, tuple[ServerProcess, str]] = {}
    atlas = atlas_server(settings.url())
    try:
        tipg = tipg_server(settings.url(), TABLE)
    except Exception:
        atlas.stop()
        raise
    servers = {
        "atlas": (atlas, atlas.url + "/tiles/services/{z}/{x}/{y}.mvt"),
        # The same properties our point tiles carry (tipg would otherwise ship every column).
        "tipg": (tipg, tipg.url + f"/collections/{TABLE}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}"
                 f"?properties={TIPG_PROPERTIES}"),
    }
    results = []
    try:
        for name, (_, template) in servers.items():
            hammer(name, template, warm, clients)  # connections, catalogs, database cache
        for _ in range(rounds):
            for name, (_, template) in servers.items():
                results.append(hammer(name, template, tiles, clients))
    finally:
        for server, _ in servers.values():
            server.stop()
    return results


def summarize(results: list[TileRun]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name in sorted({r.server for r in results}):
        runs = [r for r in results if r.server == name]
        out[name] = {
            "tiles_per_s": statistics.median(r.per_second for r in runs),
            "p50_ms": statistics.median(r.pct(0.5) for r in runs),
            "p99_ms": statistics.median(r.pct(0.99) for r in runs),
            "kb_per_tile": statistics.median(r.bytes / r.tiles / 1024 for r in runs),
            "errors": sum(r.errors for r in runs),
            "rounds": [round(r.per_second, 1) for r in runs],
        }
    return out
