"""bench/nearby: API throughput and latency of GET /api/services/nearby against pgbench running the
same KNN query (same SQL, same parameters, same data) in the same run.

    ATLAS_PG_PORT=54332 bench/nearby/run.sh          # see bench/README.md

Needs wrk (Debian `wrk`) and pgbench (PostgreSQL 15). Rounds alternate pgbench and the API so
both see the same machine load; the ratio is per round.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import psycopg

from geo.db import query
from geo.search import DEFAULT_RADIUS_M
from geo.settings import Settings
from service.process import AtlasServer

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
# Kansas City, Missouri: the densest sample area, so each search has many candidates.
LAT, LON = 39.0997, -94.5786
PER_PAGE = 20


def bench_url(settings: Settings) -> str:
    """The bench database: BENCH_DATABASE_URL, else `atlas_bench` on the local cluster."""
    return os.environ.get("BENCH_DATABASE_URL") or settings.local_url("atlas_bench")


def pgbench_script(url: str, directory: Path) -> Path:
    """The API's exact SQL with the API's parameters rendered in, for pgbench."""
    params = {"lat": LAT, "lon": LON, "radius_m": DEFAULT_RADIUS_M, "category": None, "stage": None,
              "language": None, "cost": None, "age": None, "open_now": False,
              "at": datetime.now().astimezone(), "page": 1, "size": PER_PAGE, "offset": 0}
    with psycopg.ClientCursor(psycopg.connect(url)) as cur:
        text = cur.mogrify(query("nearby_services"), params)
    lines = [re.sub(r"--.*$", "", line).rstrip() for line in text.splitlines()]
    path = directory / "nearby.sql"
    path.write_text(" ".join(line.strip() for line in lines if line.strip()) + ";\n")
    return path


def run_pgbench(url: str, script: Path, clients: int, seconds: int, directory: Path) -> dict:
    """pgbench -M prepared; latency percentiles from its per-transaction log."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    env = {**os.environ, "PGPASSWORD": str(info.get("password", ""))}
    for old in directory.glob("pgbench_log*"):
        old.unlink()
    pgbench = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    result = subprocess.run(
        [pgbench, "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script),
         "-h", str(info.get("host", "127.0.0.1")), "-p", str(info.get("port", 5432)), "-U", str(info["user"]),
         "--log", "--log-prefix", str(directory / "pgbench_log"), str(info["dbname"])],
        env=env, capture_output=True, text=True, check=True,
    )
    tps = float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    latencies = []
    for log in directory.glob("pgbench_log*"):
        for line in log.read_text().splitlines():
            latencies.append(int(line.split()[2]) / 1000)  # microseconds → ms
    q = statistics.quantiles(latencies, n=100)
    return {"rps": tps, "p50_ms": q[49], "p99_ms": q[98], "requests": len(latencies)}


def run_wrk(url: str, clients: int, seconds: int) -> dict:
    """wrk at `clients` connections; wrk reports p50 and p99 with --latency."""
    result = subprocess.run(
        ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--latency", "--timeout", "10s", url],
        capture_output=True, text=True, check=True,
    )
    out = result.stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50_ms": ms("50"), "p99_ms": ms("99"), "non_2xx": int(errors.group(1)) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    settings = Settings()
    url = bench_url(settings)
    with psycopg.connect(url) as conn:
        count = conn.execute("SELECT count(*) FROM service_point").fetchone()[0]  # type: ignore[index]
    api_path = f"/api/services/nearby?near={LAT},{LON}&per_page={PER_PAGE}"
    server = AtlasServer(url, None, env={"ATLAS_POOL_MAX": str(args.clients)},
                         args=("--workers", str(args.workers)), ready_path=api_path)
    api = server.url + api_path
    rounds = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            script = pgbench_script(url, Path(tmp))
            run_wrk(api, args.clients, 3)  # warm both workers, their pools and prepared statements
            for _ in range(args.rounds):
                pg = run_pgbench(url, script, args.clients, args.seconds, Path(tmp))
                web = run_wrk(api, args.clients, args.seconds)
                rounds.append({"pgbench": pg, "api": web, "ratio": web["rps"] / pg["rps"]})
                print(f"pgbench {pg['rps']:.0f}/s p50 {pg['p50_ms']:.1f} ms p99 {pg['p99_ms']:.1f} ms | "
                      f"API {web['rps']:.0f}/s p50 {web['p50_ms']:.1f} ms p99 {web['p99_ms']:.1f} ms | "
                      f"ratio {web['rps'] / pg['rps']:.0%}", flush=True)
    finally:
        server.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"when": datetime.now().astimezone().isoformat(timespec="seconds"), "services": count,
              "clients": args.clients, "seconds": args.seconds, "workers": args.workers,
              "cpus": os.cpu_count(), "rounds": rounds}
    (OUT / "nearby.json").write_text(json.dumps(report, indent=2))
    print("| when | services | clients | pgbench req/s | pgbench p50 / p99 ms | API req/s | API p50 / p99 ms | API / pgbench |")
    for r in rounds:
        print(f"| {report['when'][:16]} | {count:,} | {args.clients} | {r['pgbench']['rps']:.0f} | "
              f"{r['pgbench']['p50_ms']:.1f} / {r['pgbench']['p99_ms']:.1f} | {r['api']['rps']:.0f} | "
              f"{r['api']['p50_ms']:.1f} / {r['api']['p99_ms']:.1f} | {r['ratio']:.0%} |")


if __name__ == "__main__":
    main()
