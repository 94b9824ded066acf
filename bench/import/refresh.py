"""Bench: rebuilding the derived copies of the directory (search rows, map points, tile counts:
geo/sql/functions/directory_copies.sql) on a database an import has filled — all of them, and one
service's, as after a one-service edit. Each rebuild runs in a transaction that is rolled back, and
proves it changed nothing: the copies equal what was there.

    .venv/bin/python bench/import/refresh.py [--database-url URL] [--rounds 3]

Without --database-url it uses the `<db>_bench` database bench/import/run.py leaves behind. (Until
2026-12-02 this script compared the search table's SQL with its version before the set-based
rewrite; those results stay in bench/README.md.)
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from psycopg.rows import dict_row
from run import bench_settings  # bench/import/run.py: the same <db>_bench database

COPIES = ("SELECT md5(string_agg(id || doc::text, ',' ORDER BY id)) AS search,"
          " (SELECT md5(string_agg(feature, ',' ORDER BY service_id, location_id)) FROM service_map_point) AS map,"
          " (SELECT sum(n) FROM service_map_cell) AS cells FROM service_point")


def timed(conn: psycopg.Connection, statement: str, params: list | None = None) -> float:
    start = time.perf_counter()
    conn.execute(statement, params)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = args.database_url or bench_settings().url()
    full, one = [], []
    with psycopg.connect(url, row_factory=dict_row) as conn:
        conn.execute("SET statement_timeout = 0")
        before = conn.execute(COPIES).fetchone()
        sid = conn.execute("SELECT service_id FROM service_point ORDER BY service_id LIMIT 1").fetchone()["service_id"]
        services = conn.execute("SELECT count(*) AS n FROM service_point").fetchone()["n"]
        for _ in range(args.rounds):
            full.append(timed(conn, "SELECT directory_copies_refresh(NULL)"))
            assert conn.execute(COPIES).fetchone() == before, "a full rebuild changed the copies"
            conn.rollback()
            for _ in range(20):
                one.append(timed(conn, "SELECT directory_copies_refresh(%s)", [[sid]]))
            assert conn.execute(COPIES).fetchone() == before, "a one-service rebuild changed the copies"
            conn.rollback()
    print(f"{services:,} search rows: full rebuild median {statistics.median(full):.2f} s "
          f"({', '.join(f'{t:.2f}' for t in full)}); one service median {1000 * statistics.median(one):.1f} ms")


if __name__ == "__main__":
    main()
