"""Run the maps benchmarks in one go and print the results table for bench/README.md:

    ATLAS_PG_PORT=<port> .venv/bin/python -m bench.maps.run [--tiles 1000] [--clients 4] [--embed-runs 5]
        [--edits 30]
"""

from __future__ import annotations

import argparse
import json
import os

from bench.maps import bench_edit, bench_embed, bench_tiles
from bench.maps.load_bench_db import EMBED_CIRCUIT, load
from bench.maps.servers import OUT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--tiles", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--embed-runs", type=int, default=5)
    parser.add_argument("--folium-runs", type=int, default=1)
    parser.add_argument("--edits", type=int, default=30, help="one-service edits, each then its tiles (0: skip)")
    args = parser.parse_args()
    settings = load(args.services)
    load_avg = os.getloadavg()
    tiles = bench_tiles.summarize(bench_tiles.run(settings, args.tiles, args.clients, args.rounds))
    embed = bench_embed.run(settings, args.embed_runs, args.folium_runs)
    edits = bench_edit.run(settings, args.edits) if args.edits else None
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "maps-results.json").write_text(json.dumps({"tiles": tiles, "embed": embed, "edits": edits}, indent=1))
    a, t = tiles["atlas"], tiles["tipg"]
    print(f"Load average at start: {load_avg[0]:.1f} (2 cores, shared)\n")
    print(f"Tiles: {args.tiles} random tiles, zoom 8–12 over Missouri, {args.services:,} services, "
          f"{args.clients} concurrent clients, {args.rounds} alternating rounds (median shown)\n")
    print("| server | tiles/s | p50 ms | p99 ms | KB/tile | errors | rounds (tiles/s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, r in (("atlas /tiles/services", a), ("tipg 1.6 (service_map_point)", t)):
        print(f"| {name} | {r['tiles_per_s']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['kb_per_tile']:.1f} | {r['errors']} | {r['rounds']} |")
    print(f"\nThroughput ratio atlas / tipg: **{a['tiles_per_s'] / t['tiles_per_s']:.1f}×**\n")
    e, f = embed["atlas embed"], embed["folium markers"]
    print(f"Embed: circuit {EMBED_CIRCUIT}, {e['services']:,} public services, cold browser cache, "
          "basemap tiles unreachable\n")
    print("| page | median ms to drawn | max ms | MB transferred | marker elements in DOM |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in ((f"/embed/circuit:{EMBED_CIRCUIT} ({args.embed_runs} runs)", e),
                    (f"plain folium, one folium.Marker per service ({args.folium_runs} run)", f)):
        print(f"| {name} | {r['median_ms']:.0f} | {r['max_ms']:.0f} | {r['median_bytes'] / 1e6:.2f} | "
              f"{r['dom_markers']} |")
    print(f"\nEmbed speed-up over folium markers: **{f['median_ms'] / e['median_ms']:.0f}×**")
    if edits:
        print()
        bench_edit.print_table(edits)


if __name__ == "__main__":
    main()
