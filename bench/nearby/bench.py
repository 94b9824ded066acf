"""bench/nearby: API throughput and latency of GET /api/services/nearby against its anchor, pgbench
on a page alone (the 20 nearest by `geog <-> point` in index order, their doc, ellipsoidal
ST_Distance, the radius checked after: what one page of nearest services costs PostGIS), and against
pgbench on the API's own SQL, for three searches: no filter, a common category and a rare one.

    ATLAS_DB_NAME=<db> bench/nearby/run.sh          # see bench/README.md

Needs wrk (Debian `wrk`) and pgbench (PostgreSQL 15). Each round runs, per search, the anchor, the
API's SQL and the API one after the other, so all three see the same machine load; the ratio is per
round and search.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import psycopg

from bench.cpu import backends_cpu, tree_cpu
from bench.nearby.rare import RARE_CATEGORY, ensure_rare_services
from bench.revisions import load_average
from geo.search import DEFAULT_RADIUS_M, asked_filters, make_filter, nearby_params, nearby_sql
from geo.settings import Settings
from service.process import AtlasServer, ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
# Kansas City, Missouri: the densest sample area, so each search has many candidates.
LAT, LON = 39.0997, -94.5786
PER_PAGE = 20
# The searches: no filter, a category with ~5 % of the services, one with 40 in the whole state.
SEARCHES = {"none": None, "common": "mental-health", "rare": RARE_CATEGORY}
# A page alone: the 20 nearest in index order, their doc, the ellipsoidal distance, the radius after.
ANCHOR_SQL = """
SELECT p.doc, p.d FROM (
    SELECT sp.doc, ST_Distance(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
    FROM service_point sp
    WHERE %(category)s::text IS NULL OR sp.categories @> ARRAY[%(category)s::text]
    ORDER BY sp.geog <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography
    LIMIT %(size)s
) p WHERE p.d <= %(radius_m)s
"""

# The same page for a category, read from the search rows' copy per category (service_point_category,
# GiST on (category, geog): the index the API's category searches read), the doc joined by id.
ANCHOR_COPY_SQL = """
SELECT sp.doc, p.d FROM (
    SELECT c.id, ST_Distance(c.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
    FROM service_point_category c
    WHERE c.category = %(category)s::text
    ORDER BY c.geog <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography
    LIMIT %(size)s
) p JOIN service_point sp ON sp.id = p.id WHERE p.d <= %(radius_m)s
"""


def bench_url(settings: Settings) -> str:
    """The bench database: BENCH_DATABASE_URL, else `<ATLAS_DB_NAME>_bench` on the local cluster."""
    return os.environ.get("BENCH_DATABASE_URL") or settings.local_url(f"{settings.db_name}_bench")


def _write_script(url: str, sql: str, params: dict, path: Path) -> Path:
    """`sql` with `params` rendered in, comments dropped, on one line: a pgbench script."""
    with psycopg.ClientCursor(psycopg.connect(url)) as cur:
        text = cur.mogrify(sql, params)  # type: ignore[arg-type]  # our own SQL
    lines = [re.sub(r"--.*$", "", line).rstrip() for line in text.splitlines()]
    path.write_text(" ".join(line.strip() for line in lines if line.strip()) + ";\n")
    return path


def pgbench_script(url: str, directory: Path, category: str | None = None) -> Path:
    """The API's exact SQL (for `category`, else no filter) with the API's parameters rendered in."""
    filters = make_filter(category=category)
    params = nearby_params(lat=LAT, lon=LON, radius_m=DEFAULT_RADIUS_M, filters=filters, page=1,
                           per_page=PER_PAGE, at=datetime.now().astimezone())
    return _write_script(url, nearby_sql(asked_filters(filters)), params,
                         directory / f"nearby-{category or 'none'}.sql")


def anchor_script(url: str, directory: Path, category: str | None = None, *, copy: bool = False) -> Path:
    """The page alone (ANCHOR_SQL) for the same search; with `copy`, read from the category copy."""
    params = {"lat": LAT, "lon": LON, "radius_m": DEFAULT_RADIUS_M, "category": category, "size": PER_PAGE}
    return _write_script(url, ANCHOR_COPY_SQL if copy else ANCHOR_SQL, params,
                         directory / f"anchor{'-copy' if copy else ''}-{category or 'none'}.sql")


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


def run_api(server: ServerProcess, dbname: str, path: str, clients: int, seconds: int) -> dict:
    """wrk on the API, with the CPU milliseconds per request of the server's processes (Python)
    and of the database's backends (PostgreSQL): pool connections stay open, so their backends
    live through the run."""
    python, postgres = tree_cpu(server.proc.pid), backends_cpu(dbname)
    result = run_wrk(server.url + path, clients, seconds)
    served = result["rps"] * seconds
    result["python_cpu_ms"] = 1000 * (tree_cpu(server.proc.pid) - python) / served
    result["postgres_cpu_ms"] = 1000 * (backends_cpu(dbname) - postgres) / served
    return result


def api_path(category: str | None) -> str:
    return f"/api/services/nearby?near={LAT},{LON}&per_page={PER_PAGE}" + (f"&category={category}" if category else "")


def peer_path(category: str | None) -> str:
    return f"/nearby?lat={LAT}&lon={LON}" + (f"&category={category}" if category else "")


def peer_server(url: str, workers: int, pool: int) -> ServerProcess:
    """The HTTP peer (bench/nearby/peer.py) on uvicorn, with the API's workers and pool size."""
    port = free_port()
    return ServerProcess([sys.executable, "-m", "uvicorn", "bench.nearby.peer:app", "--port", str(port),
                          "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
                         port=port, log_path=None, env={"BENCH_DATABASE_URL": url, "PEER_POOL": str(pool)},
                         ready_path=peer_path(None), cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", type=int, default=4,
                        help="ATLAS_POOL_MAX, per worker: more connections than cores only queue in the CPU")
    parser.add_argument("--searches", nargs="+", choices=list(SEARCHES), default=list(SEARCHES))
    args = parser.parse_args()

    settings = Settings()
    url = bench_url(settings)
    dbname = str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])
    ensure_rare_services(url)
    with psycopg.connect(url) as conn:
        count = conn.execute("SELECT count(*) FROM service_point").fetchone()[0]  # type: ignore[index]
    server = AtlasServer(url, None, env={"ATLAS_POOL_MAX": str(args.pool)},
                         args=("--workers", str(args.workers)), ready_path=api_path(None))
    peer = peer_server(url, args.workers, args.pool)
    rounds = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            scripts = {name: (anchor_script(url, Path(tmp), category), pgbench_script(url, Path(tmp), category),
                              anchor_script(url, Path(tmp), category, copy=True) if category else None)
                       for name, category in SEARCHES.items() if name in args.searches}
            for name in scripts:  # warm both workers, their pools and prepared statements
                run_wrk(server.url + api_path(SEARCHES[name]), args.clients, 3)
                run_wrk(peer.url + peer_path(SEARCHES[name]), args.clients, 3)
            run_wrk(server.url + "/health", args.clients, 3)
            for number in range(1, args.rounds + 1):
                # The floor under any endpoint: the framework and one trivial query (GET /health).
                load = load_average()
                floor = run_api(server, dbname, "/health", args.clients, args.seconds)
                rounds.append({"round": number, "search": "floor", "load": load, "api": floor})
                print(f"round {number} floor  [load {load}] GET /health {floor['rps']:.0f}/s p50 {floor['p50_ms']:.1f}"
                      f" p99 {floor['p99_ms']:.1f} ms | CPU/request: Python {floor['python_cpu_ms']:.2f} ms,"
                      f" PostgreSQL {floor['postgres_cpu_ms']:.2f} ms", flush=True)
                for name, (anchor, own, copy_anchor) in scripts.items():
                    load = load_average()
                    page = run_pgbench(url, anchor, args.clients, args.seconds, Path(tmp))
                    copy = run_pgbench(url, copy_anchor, args.clients, args.seconds, Path(tmp)) if copy_anchor else None
                    sql = run_pgbench(url, own, args.clients, args.seconds, Path(tmp))
                    web = run_api(server, dbname, api_path(SEARCHES[name]), args.clients, args.seconds)
                    bare = run_api(peer, dbname, peer_path(SEARCHES[name]), args.clients, args.seconds)
                    row = {"round": number, "search": name, "category": SEARCHES[name], "load": load,
                           "anchor": page, "api_sql": sql, "api": web, "ratio": web["rps"] / page["rps"],
                           "peer": bare, "peer_ratio": web["rps"] / bare["rps"],
                           **({"copy_anchor": copy, "copy_ratio": web["rps"] / copy["rps"]} if copy else {})}
                    rounds.append(row)
                    copied = f" | anchor on the copy {copy['rps']:.0f}/s" if copy else ""
                    print(f"round {number} {name:6} [load {load}] anchor {page['rps']:.0f}/s p99 {page['p99_ms']:.1f} ms{copied}"
                          f" | API SQL {sql['rps']:.0f}/s p99 {sql['p99_ms']:.1f} ms | API {web['rps']:.0f}/s"
                          f" p50 {web['p50_ms']:.1f} p99 {web['p99_ms']:.1f} ms non-2xx {web['non_2xx']}"
                          f" | API / anchor {row['ratio']:.0%} | CPU/request: Python {web['python_cpu_ms']:.2f} ms,"
                          f" PostgreSQL {web['postgres_cpu_ms']:.2f} ms | HTTP peer {bare['rps']:.0f}/s"
                          f" p99 {bare['p99_ms']:.1f} ms, API / peer {row['peer_ratio']:.0%}", flush=True)
    finally:
        server.stop()
        peer.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"when": datetime.now().astimezone().isoformat(timespec="seconds"), "services": count,
              "clients": args.clients, "seconds": args.seconds, "workers": args.workers, "pool": args.pool,
              "cpus": os.cpu_count(), "rounds": rounds}
    (OUT / "nearby.json").write_text(json.dumps(report, indent=2))
    print_table(report)
    print()
    print_peer_table(report)


def print_table(report: dict) -> None:
    print("| round | search | load (1/5 min) | anchor req/s | anchor p50 / p99 ms | anchor on the copy req/s "
          "| API SQL req/s | API req/s | API p50 / p99 ms | API / anchor | API / anchor on the copy "
          "| CPU ms/request: Python / PostgreSQL |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in report["rounds"]:
        if r["search"] == "floor":
            print(f"| {r['round']} | GET /health (floor) | {r['load']} | | | | | {r['api']['rps']:.0f} | "
                  f"{r['api']['p50_ms']:.1f} / {r['api']['p99_ms']:.1f} | | | {_cpu(r['api'])} |")
            continue
        copy, copy_ratio = (f"{r['copy_anchor']['rps']:.0f}", f"{r['copy_ratio']:.0%}") if "copy_anchor" in r else ("", "")
        print(f"| {r['round']} | {r['search']} | {r['load']} | {r['anchor']['rps']:.0f} | "
              f"{r['anchor']['p50_ms']:.1f} / {r['anchor']['p99_ms']:.1f} | {copy} | {r['api_sql']['rps']:.0f} | "
              f"{r['api']['rps']:.0f} | {r['api']['p50_ms']:.1f} / {r['api']['p99_ms']:.1f} | {r['ratio']:.0%} | "
              f"{copy_ratio} | {_cpu(r['api'])} |")


def print_peer_table(report: dict) -> None:
    """The API beside the HTTP peer (bench/nearby/peer.py), and the peer beside the anchor."""
    print("| round | search | anchor req/s | HTTP peer req/s | HTTP peer p50 / p99 ms | HTTP peer / anchor "
          "| API req/s | API p50 / p99 ms | API / HTTP peer | CPU ms/request, Python / PostgreSQL: API | HTTP peer |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in report["rounds"]:
        if "peer" not in r:
            continue
        peer, api = r["peer"], r["api"]
        print(f"| {r['round']} | {r['search']} | {r['anchor']['rps']:.0f} | {peer['rps']:.0f} | "
              f"{peer['p50_ms']:.1f} / {peer['p99_ms']:.1f} | {peer['rps'] / r['anchor']['rps']:.0%} | {api['rps']:.0f} | "
              f"{api['p50_ms']:.1f} / {api['p99_ms']:.1f} | {r['peer_ratio']:.0%} | {_cpu(api)} | {_cpu(peer)} |")


def _cpu(api: dict) -> str:
    return f"{api['python_cpu_ms']:.2f} / {api['postgres_cpu_ms']:.2f}" if "python_cpu_ms" in api else ""


if __name__ == "__main__":
    main()
