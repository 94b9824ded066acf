"""bench/nearby at a baseline revision vs the current tree, in one run: GET /api/services/nearby of
each side's API (its own code, on a database its own code built) and each side's peer, pgbench on
its own rendered nearby SQL. Rounds alternate baseline (pgbench, API) then current (pgbench, API), so
both see the same machine load.

    ATLAS_PG_PORT=54329 .venv/bin/python -m bench.nearby.compare --baseline cc96bb0 [--current REV]
        [--services 100000] [--clients 32 --seconds 20 --rounds 2 --workers 2] [--rebuild]

Each side's database (`<db>_nearby_base`, `<db>_nearby_cur`) is built once (migrate, regions,
`atlas sample load --count N` with that side's code, ~8 minutes each) and kept for the next run;
its COMMENT records the commit and count that built it, and a mismatch rebuilds it. `--current`
defaults to this checkout as it stands (then the database is rebuilt only with --rebuild).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg import sql

from bench.nearby.bench import LAT, LON, PER_PAGE, run_pgbench, run_wrk
from bench.revisions import ROOT, Tree, database_url_named, load_average, tree
from geo import cluster
from geo.settings import Settings
from service.process import AtlasServer

OUT = ROOT / "bench" / "out"
RENDER_SQL = ("import sys; from pathlib import Path; from bench.nearby.bench import pgbench_script; "
              "print(pgbench_script(sys.argv[1], Path(sys.argv[2])))")


def database_mark(url: str) -> str | None:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                               "WHERE datname = current_database()").fetchone()
    except psycopg.OperationalError:
        return None
    return row[0] if row else None


def ensure_database(side: Tree, url: str, services: int, rebuild: bool) -> None:
    """The side's bench database, built by its own code unless it already holds what we want."""
    mark = f"bench-nearby:{side.commit or 'checkout'}:{services}"
    if not rebuild and database_mark(url) == mark:
        return
    print(f"building {url.rsplit('/', 1)[-1]} with {side.describe()} …", flush=True)
    cluster.drop_database(url)
    for args in (["db", "migrate"], ["regions", "load"], ["sample", "load", "--count", str(services)]):
        side.python(["-m", "service.cli", *args], url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        name = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(mark)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--current", default=None)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    api_path = f"/api/services/nearby?near={LAT},{LON}&per_page={PER_PAGE}"
    rows: list[dict] = []
    with tree("baseline", args.baseline) as base, tree("current", args.current) as cur, \
            tempfile.TemporaryDirectory() as tmp:
        sides = {}
        for side, suffix in ((base, "base"), (cur, "cur")):
            url = database_url_named(settings.url(), f"{settings.db_name}_nearby_{suffix}")
            ensure_database(side, url, args.services, args.rebuild)
            directory = Path(tmp) / side.label
            directory.mkdir()
            script = Path(side.python(["-c", RENDER_SQL, url, str(directory)]).stdout.strip())
            sides[side.label] = (side, url, script, directory)
        servers = {}
        try:
            for label, (side, url, _, _) in sides.items():
                servers[label] = AtlasServer(url, None, env={"ATLAS_POOL_MAX": str(args.clients), "PYTHONPATH": str(side.path)},
                                             args=("--workers", str(args.workers)), ready_path=api_path, cwd=side.path)
                run_wrk(servers[label].url + api_path, args.clients, 3)  # warm workers, pools, statements
            print(f"baseline {base.describe()} vs current {cur.describe()}", flush=True)
            for i in range(args.rounds):
                for label, (_, url, script, directory) in sides.items():
                    load = load_average()
                    pg = run_pgbench(url, script, args.clients, args.seconds, directory)
                    web = run_wrk(servers[label].url + api_path, args.clients, args.seconds)
                    rows.append({"round": i + 1, "side": label, "load": load, "pgbench": pg, "api": web})
                    print(f"round {i + 1} {label:8} [load {load}] pgbench {pg['rps']:.0f}/s p99 {pg['p99_ms']:.0f} ms"
                          f" | API {web['rps']:.0f}/s p50 {web['p50_ms']:.0f} ms p99 {web['p99_ms']:.0f} ms"
                          f" non-2xx {web['non_2xx']}", flush=True)
        finally:
            for server in servers.values():
                server.stop()
        report = {"when": datetime.now().astimezone().isoformat(timespec="seconds"), "services": args.services,
                  "clients": args.clients, "seconds": args.seconds, "workers": args.workers,
                  "baseline": base.commit, "current": cur.commit or "working tree", "rows": rows}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "nearby-compare.json").write_text(json.dumps(report, indent=1))
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    print("\n| round | side | load (1/5 min) | pgbench req/s | pgbench p99 ms | API req/s | API p50 / p99 ms "
          "| API / pgbench | API req/s current / baseline | API p99 current / baseline |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    by = {(r["round"], r["side"]): r for r in rows}
    for r in rows:
        b = by[(r["round"], "baseline")]
        versus = (f"{r['api']['rps'] / b['api']['rps']:.2f} | {r['api']['p99_ms'] / b['api']['p99_ms']:.2f}"
                  if r["side"] == "current" else "| ")
        print(f"| {r['round']} | {r['side']} | {r['load']} | {r['pgbench']['rps']:.0f} | {r['pgbench']['p99_ms']:.0f} | "
              f"{r['api']['rps']:.0f} | {r['api']['p50_ms']:.0f} / {r['api']['p99_ms']:.0f} | "
              f"{r['api']['rps'] / r['pgbench']['rps']:.0%} | {versus} |")
    for side in ("baseline", "current"):
        mine = [r for r in rows if r["side"] == side]

        def med(kind: str, key: str, mine: list[dict] = mine) -> float:
            return statistics.median(r[kind][key] for r in mine)

        print(f"| median | {side} | | {med('pgbench', 'rps'):.0f} | {med('pgbench', 'p99_ms'):.0f} | "
              f"{med('api', 'rps'):.0f} | {med('api', 'p50_ms'):.0f} / {med('api', 'p99_ms'):.0f} | "
              f"{med('api', 'rps') / med('pgbench', 'rps'):.0%} | | |")
    ratios = [by[(n, "current")]["api"]["rps"] / by[(n, "baseline")]["api"]["rps"] for n, s in by if s == "current"]
    p99 = [by[(n, "current")]["api"]["p99_ms"] / by[(n, "baseline")]["api"]["p99_ms"] for n, s in by if s == "current"]
    print(f"\nAPI req/s current / baseline, median of rounds: **{statistics.median(ratios):.2f}**; "
          f"API p99 current / baseline: **{statistics.median(p99):.2f}**")


if __name__ == "__main__":
    main()
