"""Bench: the search-table refresh (geo.search.refresh_service_points) against the version before the
set-based rewrite (LATERAL index lookups per service, read from git), side by side in one
transaction that is rolled back, on a database an import has filled. Also proves the two build
exactly the same rows, for a full refresh and for per-service refreshes.

    .venv/bin/python bench/import/refresh.py [--database-url URL] [--old-rev 17dbbce] [--rounds 2]
    .venv/bin/python bench/import/refresh.py --after-import bench.csv [--rounds 2]

Without --database-url it uses the `<db>_bench` database bench/import/run.py leaves behind.
--after-import times the two inside the transaction of a (dry-run) `atlas import` of the CSV into a
fresh `<db>_bench_refresh` database, where it really runs: the tables' statistics do not yet know
the rows just written, so each side's own ANALYZE is part of its time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from run import bench_settings  # bench/import/run.py: the same <db>_bench database

import geo.importer.run as importer_run
from geo.db import Connection, connect
from geo.importer import ImportOptions, import_path
from geo.search import refresh_service_points
from geo.setup import rebuild_database

ROOT = Path(__file__).resolve().parents[2]
OLD_ANALYZE = ("ANALYZE service, service_at_location, location, organization, address, phone, schedule, "
               "language, cost_option, attribute, service_stage, region, region_member")
# Every column, the point as its exact EWKB text (geography has no exact equality of its own).
COLUMNS = ("id, service_id, location_id, organization_id, geog::text AS geog, confidential, categories, stages, "
           "languages, costs, minimum_age, maximum_age, county_fips, postal_code, tz_name, open_week, open_dated, doc")


def old_refresh(rows_sql: str) -> Callable[[Connection, list[str] | None], None]:
    """refresh_service_points as it was at --old-rev."""
    def refresh(conn: Connection, service_ids: list[str] | None = None) -> None:
        if service_ids is None:
            conn.execute(OLD_ANALYZE)
            conn.execute("DELETE FROM service_point")
        else:
            conn.execute("DELETE FROM service_point WHERE service_id = ANY(%s)", [service_ids])
        conn.execute(rows_sql, {"service_ids": service_ids})
    return refresh


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def differences(conn: Connection, table: str) -> tuple[int, int]:
    """Rows in service_point and not in `table`, and the other way round (doc compared as jsonb)."""
    query = sql.SQL("SELECT count(*) AS n FROM (SELECT {cols} FROM {a} EXCEPT SELECT * FROM {b}) d")
    cols = sql.SQL(COLUMNS)
    one = conn.execute(query.format(cols=cols, a=sql.Identifier("service_point"), b=sql.Identifier(table))
                       ).fetchone()
    two = conn.execute(sql.SQL("SELECT count(*) AS n FROM (SELECT * FROM {b} EXCEPT SELECT {cols} FROM {a}) d")
                       .format(cols=cols, a=sql.Identifier("service_point"), b=sql.Identifier(table))).fetchone()
    assert one is not None and two is not None
    return one["n"], two["n"]


def after_import(csv_path: Path, old: Callable[[Connection, list[str] | None], None], rounds: int) -> None:
    """Both refreshes where the import calls its own (in full over 20,000 services, else listed), in
    its transaction, each rolled back to a savepoint so the other starts from the same state."""
    base = bench_settings()
    settings = base.model_copy(update={"database_url": base.url().replace("_bench", "_bench_refresh")})
    rebuild_database(settings, sample_count=0)
    times: dict[str, list[float]] = {"old": [], "new": []}

    how: list[str] = []

    def both(conn: Connection, service_ids: list[str] | None = None) -> None:
        how.append("full" if service_ids is None else f"{len(service_ids):,} services listed")
        for _ in range(rounds):
            for name, fn in (("old", old), ("new", refresh_service_points)):
                with conn.transaction(force_rollback=True):
                    times[name].append(timed(lambda fn=fn: fn(conn, service_ids)))  # type: ignore[misc]
                print(f"after import: {name} {times[name][-1]:.2f} s", flush=True)

    importer_run.refresh_service_points = both  # type: ignore[assignment]
    with connect(settings) as conn:
        report = import_path(conn, csv_path, ImportOptions(source="bench", dry_run=True))
    print(f"\n{report.read:,} rows read, both refreshes inside its transaction (rolled back)")
    o, n = statistics.median(times["old"]), statistics.median(times["new"])
    print("\n| refresh inside the import's transaction | LATERAL (old) | set-based (new) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| {how[0]}, with any ANALYZE, median of {rounds} | {o:.2f} s | {n:.2f} s | {o / n:.2f}× |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--old-rev", default="17dbbce", help="git revision of the LATERAL version")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--singles", type=int, default=20, help="one-service refreshes timed per side")
    parser.add_argument("--sample", type=int, default=300, help="services refreshed one by one for equality")
    parser.add_argument("--after-import", type=Path, help="a CSV from make_csv.py: time inside its import")
    args = parser.parse_args()
    url = args.database_url or bench_settings().url()
    old_sql = subprocess.run(["git", "show", f"{args.old_rev}:geo/sql/service_point_rows.sql"], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout
    old = old_refresh(old_sql)
    if args.after_import:
        after_import(args.after_import, old, args.rounds)
        return
    with psycopg.connect(url, row_factory=dict_row) as conn:
        conn.execute("SET statement_timeout = 0")
        full_old: list[float] = []
        full_new: list[float] = []
        for _ in range(args.rounds):  # each in its own transaction, rolled back, taking turns
            full_old.append(timed(lambda: old(conn, None)))
            conn.rollback()
            full_new.append(timed(lambda: refresh_service_points(conn)))
            conn.rollback()
            print(f"full refresh: old {full_old[-1]:.2f} s, new {full_new[-1]:.2f} s", flush=True)
        rows = conn.execute("SELECT count(*) AS n, count(*) FILTER (WHERE confidential) AS c FROM service_point"
                            ).fetchone()
        assert rows is not None
        old(conn, None)
        conn.execute(sql.SQL("CREATE TEMP TABLE old_rows ON COMMIT DROP AS SELECT {} FROM service_point")
                     .format(sql.SQL(COLUMNS)))
        refresh_service_points(conn)
        full_diff = differences(conn, "old_rows")
        # Services refreshed one at a time (as after an edit) and all together as a list: the
        # confidential ones, those with several locations, costs or no schedule first.
        ids = [r["service_id"] for r in conn.execute(
            """SELECT service_id FROM service_point GROUP BY service_id
               ORDER BY bool_or(confidential) DESC, count(*) DESC, bool_or(costs <> '{}') DESC,
                        bool_or(tz_name IS NULL) DESC, md5(service_id) LIMIT %s""", [args.sample])]
        for sid in ids:
            refresh_service_points(conn, [sid])
        single_diff = differences(conn, "old_rows")
        refresh_service_points(conn, ids)
        list_diff = differences(conn, "old_rows")
        conn.rollback()
        one = ids[-1]
        one_old, one_new = [], []
        for _ in range(args.singles):
            one_old.append(timed(lambda: old(conn, [one])))
            one_new.append(timed(lambda: refresh_service_points(conn, [one])))
        conn.rollback()
    o, n = statistics.median(full_old), statistics.median(full_new)
    so, sn = statistics.median(one_old) * 1000, statistics.median(one_new) * 1000
    print(f"\n{rows['n']:,} rows ({rows['c']:,} confidential); rows differing old→new / new→old: "
          f"full {full_diff}, {len(ids)} services one by one {single_diff}, as one list {list_diff}")
    print("\n| refresh | LATERAL (old) | set-based (new) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| full, median of {args.rounds} | {o:.2f} s | {n:.2f} s | {o / n:.2f}× |")
    print(f"| one service, median of {args.singles} | {so:.1f} ms | {sn:.1f} ms | {so / sn:.2f}× |")


if __name__ == "__main__":
    main()
