"""Bench: `atlas import` of the bench sheet at a baseline revision vs the current tree, in one run on
one machine, with ogr2ogr as the peer in each round. Rounds alternate baseline, current, baseline,
current…; each side of a round builds a fresh `<db>_bench` with its own revision's migrations and
reference data, loads the sheet with ogr2ogr, then imports it with its own code (first load), then
again (nothing changed). The baseline's map points were a materialized view filled by the first map
request after a change; that first refresh is timed too, since the current tree does the same work
inside the import.

    ATLAS_PG_PORT=54329 .venv/bin/python -u bench/import/compare.py --baseline cc96bb0 [--current REV]
        [--rows 100000] [--rounds 2]

`--current` defaults to this checkout as it stands (uncommitted changes included).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # bench.revisions: this script runs by path, beside run.py

import psycopg  # noqa: E402
from run import bench_settings, run_ogr2ogr  # noqa: E402  bench/import/run.py

from bench.revisions import ROOT, Tree, load_average, tree  # noqa: E402

# Run in the baseline's tree: what its first map or tile request did after an import.
BASELINE_MAP_REFRESH = (
    "from geo.db import connect; from geo.settings import Settings; "
    "from geo.service_map import ensure_service_points_fresh; "
    "conn = connect(Settings(), autocommit=True); print(ensure_service_points_fresh(conn))"
)


def import_sheet(side: Tree, url: str, csv_path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = side.python(["-m", "service.cli", "import", str(csv_path), "--source", "bench"], url)
    return time.perf_counter() - start, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def copies(url: str) -> dict[str, int]:
    """Rows in the derived copies right after the import (a never-refreshed view counts as 0)."""
    with psycopg.connect(url) as conn:
        populated = conn.execute("SELECT coalesce((SELECT ispopulated FROM pg_matviews "
                                 "WHERE matviewname = 'service_map_point'), true)").fetchone()[0]  # type: ignore[index]
        out = {"service_point": conn.execute("SELECT count(*) FROM service_point").fetchone()[0]}  # type: ignore[index]
        out["service_map_point"] = (conn.execute("SELECT count(*) FROM service_map_point").fetchone()[0]  # type: ignore[index]
                                    if populated else 0)
    return out


def one_side(side: Tree, url: str, csv_path: Path, *, again: bool) -> dict:
    side.rebuild_database(url)
    row: dict = {"side": side.label, "load_before": load_average()}
    row["ogr2ogr_s"] = run_ogr2ogr_at(url, csv_path)
    row["import_s"], row["import_line"] = import_sheet(side, url, csv_path)
    row["copies_after_import"] = copies(url)
    if side.label == "baseline":
        start = time.perf_counter()
        side.python(["-c", BASELINE_MAP_REFRESH], url)
        row["first_map_refresh_s"] = time.perf_counter() - start
    if again:
        row["reimport_s"], row["reimport_line"] = import_sheet(side, url, csv_path)
    row["load_after"] = load_average()
    return row


def run_ogr2ogr_at(url: str, csv_path: Path) -> float:
    return run_ogr2ogr(bench_settings().model_copy(update={"database_url": url}), csv_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git revision to compare against, e.g. cc96bb0")
    parser.add_argument("--current", default=None, help="git revision (default: this checkout as it stands)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-reimport", action="store_true", help="skip the unchanged re-import")
    args = parser.parse_args()
    url = bench_settings().url()
    rounds: list[dict] = []
    with tree("baseline", args.baseline) as base, tree("current", args.current) as cur, \
            tempfile.TemporaryDirectory() as tmp:
        print(f"baseline {base.describe()} vs current {cur.describe()}; load {load_average()}", flush=True)
        csv_path = Path(tmp) / "bench.csv"
        cur.python([str(HERE / "make_csv.py"), str(csv_path), str(args.rows)])
        for i in range(args.rounds):
            pair = {side.label: one_side(side, url, csv_path, again=not args.no_reimport) for side in (base, cur)}
            b, c = pair["baseline"], pair["current"]
            pair["ratio"] = c["import_s"] / b["import_s"]
            rounds.append(pair)
            print(f"round {i + 1}: baseline ogr2ogr {b['ogr2ogr_s']:.2f} s import {b['import_s']:.2f} s "
                  f"(+ first map refresh {b['first_map_refresh_s']:.2f} s) re-import {b.get('reimport_s', 0):.2f} s"
                  f" [load {b['load_before']}] | current ogr2ogr {c['ogr2ogr_s']:.2f} s import {c['import_s']:.2f} s"
                  f" re-import {c.get('reimport_s', 0):.2f} s [load {c['load_before']}] | current/baseline "
                  f"{pair['ratio']:.3f}\n  baseline: {b['import_line']} {b['copies_after_import']}\n"
                  f"  current:  {c['import_line']} {c['copies_after_import']}", flush=True)
        subprocess.run([sys.executable, "-c", "from geo import cluster; import sys; cluster.drop_database(sys.argv[1])",
                        url], check=True)
        report = {"when": datetime.now().astimezone().isoformat(timespec="seconds"), "rows": args.rows,
                  "baseline": base.commit, "current": cur.commit or "working tree", "rounds": rounds}
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "import-compare.json").write_text(json.dumps(report, indent=1))
    print_table(rounds)


def print_table(rounds: list[dict]) -> None:
    print("\n| round | load (1/5 min) | ogr2ogr (s) | baseline import (s) | baseline first map refresh (s) "
          "| current import (s) | current / baseline | current / ogr2ogr | re-import baseline / current (s) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for i, r in enumerate(rounds, 1):
        b, c = r["baseline"], r["current"]
        print(f"| {i} | {b['load_before']} → {c['load_after']} | {b['ogr2ogr_s']:.2f} / {c['ogr2ogr_s']:.2f} | "
              f"{b['import_s']:.2f} | {b['first_map_refresh_s']:.2f} | {c['import_s']:.2f} | {r['ratio']:.3f} | "
              f"{c['import_s'] / c['ogr2ogr_s']:.1f}× | {b.get('reimport_s', 0):.2f} / {c.get('reimport_s', 0):.2f} |")

    def med(side: str, key: str) -> float:
        return statistics.median(r[side][key] for r in rounds)

    ogr = statistics.median([r[s]["ogr2ogr_s"] for r in rounds for s in ("baseline", "current")])
    print(f"| **median** | | {ogr:.2f} | {med('baseline', 'import_s'):.2f} | {med('baseline', 'first_map_refresh_s'):.2f}"
          f" | {med('current', 'import_s'):.2f} | **{statistics.median(r['ratio'] for r in rounds):.3f}** | "
          f"{med('current', 'import_s') / ogr:.1f}× | "
          + (f"{med('baseline', 'reimport_s'):.2f} / {med('current', 'reimport_s'):.2f} |" if "reimport_s" in rounds[0]["current"] else "– |"))


if __name__ == "__main__":
    main()
