"""Bench: `atlas import` of a 100,000-row sheet with coordinates vs GDAL's ogr2ogr loading the same
CSV into the same PostGIS, side by side in one run, and the schema's floor (floor.py: COPY of
exactly the rows the import wrote into an empty copy of the schema). Prints a Markdown table.

    .venv/bin/python bench/import/run.py [--rows 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import floor  # bench/import/floor.py, beside this script
import psycopg

from geo import cluster
from geo.settings import Settings
from geo.setup import rebuild_database

HERE = Path(__file__).resolve().parent


def bench_settings() -> Settings:
    base = Settings()
    url = base.url()
    info = psycopg.conninfo.conninfo_to_dict(url)
    bench_url = (f"postgresql://{info.get('user', '')}:{info.get('password', '')}@{info.get('host', '127.0.0.1')}"
                 f":{info.get('port', 5432)}/{info.get('dbname', 'atlas')}_bench")
    return base.model_copy(update={"database_url": bench_url})


def _pg_conninfo(url: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    return " ".join(f"{k}={v}" for k, v in info.items())


def run_ogr2ogr(settings: Settings, csv_path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["ogr2ogr", "-f", "PostgreSQL", f"PG:{_pg_conninfo(settings.url())}", str(csv_path),
         "-nln", "bench_ogr2ogr", "-overwrite", "-a_srs", "EPSG:4326",
         "-oo", "X_POSSIBLE_NAMES=longitude", "-oo", "Y_POSSIBLE_NAMES=latitude", "-oo", "AUTODETECT_TYPE=YES",
         "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST", "--config", "PG_USE_COPY", "YES"],
        check=True, capture_output=True,
    )
    return time.perf_counter() - start


def run_atlas(settings: Settings, csv_path: Path) -> tuple[float, str]:
    env = {**os.environ, "ATLAS_DATABASE_URL": settings.url()}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "service.cli", "import", str(csv_path), "--source", "bench"],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"atlas import failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = bench_settings()
    if Settings().database_url is None:
        cluster.start(Settings())
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "bench.csv"
        subprocess.run([sys.executable, str(HERE / "make_csv.py"), str(csv_path), str(args.rows)], check=True)
        ogr, atlas, again, floors, bare = [], [], [], [], []
        for i in range(args.rounds):
            # A fresh database each round: the bench measures a first load, not one into indexes
            # full of the previous round's dead rows.
            rebuild_database(settings, sample_count=0)
            ogr.append(run_ogr2ogr(settings, csv_path))
            seconds, line = run_atlas(settings, csv_path)
            atlas.append(seconds)
            seconds_again, line_again = run_atlas(settings, csv_path)
            again.append(seconds_again)
            rows = floor.dump(settings.url())
            floors.append(floor.load(settings, rows)[0])
            bare.append(floor.load(settings, rows, checks=False)[0])
            print(f"round {i + 1}: ogr2ogr {ogr[-1]:.2f} s, atlas import {atlas[-1]:.2f} s "
                  f"(ratio {atlas[-1] / ogr[-1]:.2f}), re-import {again[-1]:.2f} s, schema floor "
                  f"{floors[-1]:.2f} s, without FK checks {bare[-1]:.2f} s\n  {line}\n  {line_again}", flush=True)
    o, a, r = statistics.median(ogr), statistics.median(atlas), statistics.median(again)
    f, b = statistics.median(floors), statistics.median(bare)
    print("\n| rows | ogr2ogr (s) | atlas import (s) | ratio | re-import, unchanged (s) "
          "| schema floor: COPY of the same rows (s) | floor / ogr2ogr | floor without FK checks (s) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {args.rows:,} | {o:.2f} | {a:.2f} | {a / o:.2f}× | {r:.2f} | {f:.2f} | {f / o:.1f}× | {b:.2f} |")


if __name__ == "__main__":
    main()
