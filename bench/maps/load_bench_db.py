"""Build the maps benchmark database `<db>_bench_maps`: reference geography, taxonomy and 100,000
SAMPLE services in Missouri (never the app's own database)."""

from __future__ import annotations

import argparse
import itertools

import psycopg
from psycopg.types.json import Jsonb

from geo import cluster
from geo.db import connect
from geo.overlay import assign_counties
from geo.regions import load_census_regions, reload_crosswalks
from geo.sample import SOURCE, _write, generate, remove_sample
from geo.settings import Settings
from geo.setup import prepare_database
from geo.taxonomy import load_taxonomy


def bench_settings() -> Settings:
    """Settings pointing at the benchmark database beside the configured one."""
    base = Settings()
    url = base.url()
    name = psycopg.conninfo.conninfo_to_dict(url).get("dbname") or "atlas"
    info = psycopg.conninfo.conninfo_to_dict(url)
    bench_url = (f"postgresql://{info.get('user', '')}:{info.get('password', '')}@"
                 f"{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{name}_bench_maps")
    return base.model_copy(update={"database_url": bench_url})


def load(count: int) -> Settings:
    """Create (or refresh) the benchmark database with `count` Missouri services."""
    settings = bench_settings()
    if Settings().database_url is None:
        cluster.start(Settings())
    prepare_database(settings)
    with connect(settings) as conn:
        load_census_regions(conn, settings.data_dir)
        load_taxonomy(conn, settings.data_dir)
        reload_crosswalks(conn, settings.data_dir)
        have = conn.execute("SELECT count(*) AS n FROM service WHERE source = %s", [SOURCE]).fetchone()
        if have and have["n"] == count:
            return settings
        remove_sample(conn)
        run = conn.execute("INSERT INTO import_run (source, kind, summary) VALUES (%s, 'sample', %s) "
                           "RETURNING id", [SOURCE, Jsonb({"tag": f"bench-maps:{count}"})]).fetchone()
        assert run is not None
        missouri = (it for it in generate(count * 3, settings.data_dir) if it["place"].state == "MO")
        items = list(itertools.islice(missouri, count))
        _write(conn, items, run["id"])
        assign_counties(conn, SOURCE)
        conn.execute("UPDATE import_run SET status = 'done', finished_at = now() WHERE id = %s", [run["id"]])
    with connect(settings, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return settings


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    s = load(args.count)
    print(s.url())
