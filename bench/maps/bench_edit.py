"""The first tile after a one-service edit against an ordinary tile: repeatedly rename one public
service (one UPDATE, committed), then fetch the zoom-12 points tile and the zoom-10 counts tile that
hold it, then the same two tiles again. The first fetches answer for the edit (the map copies must
already hold it); the second ones are ordinary cached-plan tile time. The first point tile is
decoded to check it carries the new name, so a fast answer that missed the edit cannot pass.

    ATLAS_PG_PORT=<port> .venv/bin/python -m bench.maps.bench_edit [--edits 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import httpx
import mapbox_vector_tile

from bench.maps.bench_tiles import tile_of
from bench.maps.load_bench_db import load
from bench.maps.servers import atlas_server
from geo.db import connect
from geo.settings import Settings

POINTS_ZOOM, COUNTS_ZOOM = 12, 10


def tile_names(body: bytes) -> set[str]:
    """The service names a points tile carries."""
    layer = mapbox_vector_tile.decode(body).get("services", {"features": []})
    return {f["properties"].get("name") for f in layer["features"]}


def get(http: httpx.Client, url: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = http.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code not in (200, 204):
        raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
    return elapsed, response


def run(settings: Settings, edits: int = 30, seed: int = 12) -> dict[str, list[float] | int]:
    """Per edit: ms to commit the UPDATE, first and second fetch of its z12 and z10 tiles."""
    out: dict[str, list[float] | int] = {k: [] for k in ("commit", "points_first", "points_again", "counts_first",
                                                           "counts_again")}
    missed = 0
    server = atlas_server(settings.url())
    try:
        with httpx.Client(timeout=300) as http, connect(settings, autocommit=True) as conn:
            template = server.url + "/tiles/services/{z}/{x}/{y}.mvt"
            # The app's connections and statements; before the map copies followed every write, this
            # first tile also filled the never-refreshed view.
            get(http, template.format(z=COUNTS_ZOOM, x=0, y=0))
            services = conn.execute("SELECT service_id AS id, name, ST_X(geom) AS lon, ST_Y(geom) AS lat "
                                    "FROM service_map_point ORDER BY service_id").fetchall()
            picked = random.Random(seed).sample(services, edits)
            for i, s in enumerate(picked):
                points = template.format(z=POINTS_ZOOM, x=tile_of(s["lon"], s["lat"], POINTS_ZOOM)[1],
                                         y=tile_of(s["lon"], s["lat"], POINTS_ZOOM)[2])
                counts = template.format(z=COUNTS_ZOOM, x=tile_of(s["lon"], s["lat"], COUNTS_ZOOM)[1],
                                         y=tile_of(s["lon"], s["lat"], COUNTS_ZOOM)[2])
                get(http, points), get(http, counts)  # both tiles as they were: plans and pages warm
                new_name = f"{s['name']} (edit {i})"
                started = time.perf_counter()
                conn.execute("UPDATE service SET name = %s WHERE id = %s", [new_name, s["id"]])  # autocommit
                out["commit"].append((time.perf_counter() - started) * 1000)  # type: ignore[union-attr]
                ms, response = get(http, points)
                out["points_first"].append(ms)  # type: ignore[union-attr]
                if new_name not in tile_names(response.content):
                    missed += 1
                out["counts_first"].append(get(http, counts)[0])  # type: ignore[union-attr]
                out["points_again"].append(get(http, points)[0])  # type: ignore[union-attr]
                out["counts_again"].append(get(http, counts)[0])  # type: ignore[union-attr]
            for s in picked:  # put the names back
                conn.execute("UPDATE service SET name = %s WHERE id = %s", [s["name"], s["id"]])
    finally:
        server.stop()
    out["missed"] = missed
    return out


def summarize(result: dict[str, list[float] | int]) -> dict[str, dict[str, float]]:
    summary: dict[str, dict[str, float]] = {}
    for key, values in result.items():
        if isinstance(values, list):
            ordered = sorted(values)
            summary[key] = {"median_ms": statistics.median(ordered), "max_ms": ordered[-1],
                            "p90_ms": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]}
    return summary


def print_table(result: dict[str, list[float] | int]) -> None:
    s = summarize(result)
    n = len(result["commit"])  # type: ignore[arg-type]
    print(f"{n} one-service edits (a rename, committed), each followed by its tiles; "
          f"first points tiles without the new name: {result['missed']}\n")
    print("| request | median ms | p90 ms | max ms |")
    print("| --- | ---: | ---: | ---: |")
    for key, label in (("commit", "the edit: UPDATE + COMMIT"),
                       ("points_first", f"z{POINTS_ZOOM} points tile, first after the edit"),
                       ("points_again", f"z{POINTS_ZOOM} points tile, again (ordinary)"),
                       ("counts_first", f"z{COUNTS_ZOOM} counts tile, first after the edit"),
                       ("counts_again", f"z{COUNTS_ZOOM} counts tile, again (ordinary)")):
        print(f"| {label} | {s[key]['median_ms']:.1f} | {s[key]['p90_ms']:.1f} | {s[key]['max_ms']:.1f} |")
    ratio = s["points_first"]["median_ms"] / s["points_again"]["median_ms"]
    print(f"\nFirst points tile after an edit / ordinary (medians): **{ratio:.2f}×**")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args()
    print_table(run(load(args.services), args.edits))


if __name__ == "__main__":
    main()
