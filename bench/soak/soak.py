"""Soak: measure the maximum throughput of one app process on a mixed read load, then hold 80 % of
it for ten minutes, counting errors and sampling the server's resident memory.

    ATLAS_PG_PORT=54329 .venv/bin/python bench/soak/soak.py            # 30 s probe + 600 s soak
    .venv/bin/python bench/soak/soak.py --duration 60 --probe 10       # a quick look

It starts `atlas serve` (one worker) against the configured database, unless --url/--pid name a
running server. The load mix is read from the server's OpenAPI: endpoints that are not there
(nearby search, tiles on an older build) are left out and the report says which were used.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from service.process import AtlasServer

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
# Points in Missouri and Massachusetts towns (lat, lon): where the sample services are.
POINTS = [(39.0997, -94.5786), (38.6270, -90.1994), (37.2090, -93.2923), (38.9517, -92.3341),
          (42.3601, -71.0589), (42.2626, -71.8023), (42.1015, -72.5898), (41.6362, -70.9342)]
# Web-mercator tiles (z, x, y) over Kansas City, St. Louis and Boston.
TILES = [(8, 60, 97), (9, 121, 195), (8, 66, 97), (10, 536, 380), (9, 154, 188)]


@dataclass
class Request:
    name: str
    weight: int
    make: object  # () -> (path, params)




def load_mix(openapi: dict) -> list[Request]:
    """The read mix: regions, layers, health, and nearby search and tiles when the server has them."""
    paths = openapi.get("paths", {})
    mix = [
        Request("regions", 3, lambda: ("/api/regions", {**random.choice([{"kind": "circuit", "state": "MO"},
                                                                          {"kind": "division", "state": "MA"},
                                                                          {"kind": "county", "state": "MA"}]),
                                                        "simplify_m": 500})),
        Request("region_at", 2, lambda: ("/api/regions/at", dict(zip(("lat", "lon"), random.choice(POINTS),
                                                                     strict=True)))),
        Request("layer_services", 2, lambda: ("/api/layers/services.geojson",
                                              {"state": random.choice(["MO", "MA"]),
                                               "category": random.choice(["food", "mental-health", "legal-aid"])})),
        Request("layer_courts", 1, lambda: ("/api/layers/courts.geojson", {"state": random.choice(["MO", "MA"])})),
        Request("health", 1, lambda: ("/health/ready", {})),
    ]
    if "/api/services/nearby" in paths:
        def nearby_request() -> tuple[str, dict]:
            la, lo = random.choice(POINTS)
            return "/api/services/nearby", {"near": f"{la + random.uniform(-0.05, 0.05):.5f},"
                                                    f"{lo + random.uniform(-0.05, 0.05):.5f}"}
        mix.append(Request("nearby", 4, nearby_request))
    if "/tiles/{layer}/{z}/{x}/{y}.mvt" in paths:
        def tile_request() -> tuple[str, dict]:
            z, x, y = random.choice(TILES)
            return f"/tiles/services/{z}/{x}/{y}.mvt", {}
        mix.append(Request("tiles services", 4, tile_request))
    return mix


@dataclass
class Tally:
    ok: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    by_name: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, status: int | str, ms: float) -> None:
        with self.lock:
            self.by_name[name] += 1
            if status in (200, 204):  # 204: an empty vector tile
                self.ok += 1
                self.latencies_ms.append(ms)
            else:
                self.errors[f"{name}: {status}"] += 1


def one_request(client: httpx.Client, mix: list[Request], weights: list[int], tally: Tally) -> None:
    req = random.choices(mix, weights)[0]
    path, params = req.make()  # type: ignore[operator]
    started = time.perf_counter()
    try:
        status: int | str = client.get(path, params=params).status_code
    except httpx.HTTPError as e:
        status = type(e).__name__
    tally.add(req.name, status, (time.perf_counter() - started) * 1000)


def closed_loop(url: str, mix: list[Request], workers: int, seconds: float) -> tuple[float, Tally]:
    """As fast as `workers` clients can go: completed requests per second."""
    tally, stop = Tally(), threading.Event()
    weights = [r.weight for r in mix]

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop.is_set():
                one_request(client, mix, weights, tally)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return (tally.ok + sum(tally.errors.values())) / (time.monotonic() - started), tally


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def open_loop(url: str, mix: list[Request], rate: float, seconds: float, pid: int,
              sample_every: float = 5.0) -> tuple[Tally, list[tuple[float, int]], float]:
    """A steady `rate` requests per second (requests are issued on schedule, not when the previous
    one returns), with the server's RSS sampled every few seconds."""
    tally, weights = Tally(), [r.weight for r in mix]
    samples: list[tuple[float, int]] = []
    workers = 32
    per_worker = rate / workers
    started = time.monotonic()
    lag = [0.0]

    def worker(offset: float) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            n = 0
            while True:
                due = started + offset + n / per_worker
                if due - started > seconds:
                    return
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                else:
                    lag[0] = max(lag[0], -wait)
                one_request(client, mix, weights, tally)
                n += 1

    threads = [threading.Thread(target=worker, args=(i / rate,)) for i in range(workers)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        samples.append((round(time.monotonic() - started, 1), rss_kb(pid)))
        time.sleep(sample_every)
    for t in threads:
        t.join()
    return tally, samples, lag[0]


def start_server() -> AtlasServer:
    """One worker on the configured database, ready when /health/ready says the pool answers."""
    return AtlasServer(None, OUT, name="soak-server", ready_path="/health/ready", timeout_s=60, cwd=ROOT)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="A running server (then --pid is required); default: start one")
    parser.add_argument("--pid", type=int, help="The running server's PID, for its resident memory")
    parser.add_argument("--probe", type=float, default=30, help="Seconds per concurrency level when probing")
    parser.add_argument("--duration", type=float, default=600, help="Soak seconds (default 600)")
    parser.add_argument("--fraction", type=float, default=0.8, help="Share of the maximum to hold")
    parser.add_argument("--concurrency", default="4,8,16", help="Closed-loop client counts to probe")
    args = parser.parse_args()
    random.seed(20261123)

    server = None
    if args.url:
        if not args.pid:
            parser.error("--url needs --pid")
        url, pid = args.url, args.pid
    else:
        server = start_server()
        url, pid = server.url, server.proc.pid
    try:
        mix = load_mix(httpx.get(f"{url}/openapi.json", timeout=10).json())
        print("load mix:", ", ".join(f"{r.name} ×{r.weight}" for r in mix), flush=True)
        closed_loop(url, mix, 4, 5)  # warm up caches and the pool
        probes = {}
        for workers in (int(w) for w in args.concurrency.split(",")):
            rps, tally = closed_loop(url, mix, workers, args.probe)
            probes[workers] = {"rps": round(rps, 1), "errors": sum(tally.errors.values()),
                               "p50_ms": round(percentile(tally.latencies_ms, 50), 1),
                               "p99_ms": round(percentile(tally.latencies_ms, 99), 1)}
            print(f"probe {workers:>3} clients: {rps:7.1f} req/s  {probes[workers]}", flush=True)
        max_rps = max(p["rps"] for p in probes.values())
        rate = args.fraction * max_rps
        print(f"soak at {rate:.1f} req/s ({args.fraction:.0%} of {max_rps:.1f}) for {args.duration:.0f} s", flush=True)
        tally, samples, lag = open_loop(url, mix, rate, args.duration, pid)
        rss_start, rss_end = samples[0][1], samples[-1][1]
        rss_max = max(kb for _, kb in samples)
        total = tally.ok + sum(tally.errors.values())
        result = {
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "mix": [r.name for r in mix],
            "probes": probes,
            "max_rps": max_rps,
            "target_rps": round(rate, 1),
            "achieved_rps": round(total / args.duration, 1),
            "duration_s": args.duration,
            "requests": total,
            "errors": sum(tally.errors.values()),
            "error_kinds": dict(tally.errors),
            "per_endpoint": dict(tally.by_name),
            "p50_ms": round(percentile(tally.latencies_ms, 50), 1),
            "p95_ms": round(percentile(tally.latencies_ms, 95), 1),
            "p99_ms": round(percentile(tally.latencies_ms, 99), 1),
            "max_schedule_lag_s": round(lag, 2),
            "rss_start_mb": round(rss_start / 1024, 1),
            "rss_end_mb": round(rss_end / 1024, 1),
            "rss_max_mb": round(rss_max / 1024, 1),
            "rss_growth_pct": round(100 * (rss_end - rss_start) / rss_start, 1),
            "rss_samples": samples,
            "cpus": os.cpu_count(),
            "load_average_end": os.getloadavg(),
        }
        OUT.mkdir(parents=True, exist_ok=True)
        out = OUT / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(result, indent=2))
        print(json.dumps({k: v for k, v in result.items() if k != "rss_samples"}, indent=2))
        print(f"\n| {result['when']} | {max_rps:.1f} | {rate:.1f} | {result['achieved_rps']} | "
              f"{args.duration:.0f} s | {total} | {result['errors']} | {result['p50_ms']} / {result['p99_ms']} | "
              f"{result['rss_start_mb']} → {result['rss_end_mb']} MB ({result['rss_growth_pct']:+.1f} %) |")
        print(f"written {out}")
        ok = result["errors"] == 0 and result["rss_growth_pct"] < 10
        sys.exit(0 if ok else 1)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
