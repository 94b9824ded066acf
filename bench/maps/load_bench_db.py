"""Build the maps benchmark database `<db>_bench_maps`: reference geography, taxonomy and 100,000
SAMPLE services in Missouri (never the app's own database)."""

from __future__ import annotations

import argparse

import psycopg
import shapely
from psycopg.types.json import Jsonb

from geo import cluster
from geo.db import connect
from geo.importer.apply import write_records
from geo.regions import load_census_regions, reload_crosswalks
from geo.sample import GENERATOR_VERSION, SOURCE, generate, sample_record
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


EMBED_CIRCUIT = "MO-16"  # Jackson County (Kansas City): the embed benchmark's circuit
EMBED_SERVICES = 10_000


def current_tag(settings: Settings) -> str | None:
    """What the benchmark database holds (None when it is missing or unfinished)."""
    try:
        with connect(settings) as conn:
            row = conn.execute("SELECT summary->>'tag' AS tag FROM import_run WHERE source = %s "
                               "AND status = 'done' ORDER BY id DESC LIMIT 1", [SOURCE]).fetchone()
    except psycopg.Error:
        return None
    return row["tag"] if row else None


def load(count: int) -> Settings:
    """Create (or refresh) the benchmark database with `count` Missouri services, exactly
    EMBED_SERVICES of them in EMBED_CIRCUIT."""
    settings = bench_settings()
    if Settings().database_url is None:
        cluster.start(Settings())
    tag = f"bench-maps:{GENERATOR_VERSION}:{count}:{EMBED_SERVICES}"
    if current_tag(settings) == tag:
        return settings
    cluster.drop_database(settings.url())  # deleting 100,000 services row by row is slower
    prepare_database(settings)
    with connect(settings) as conn:
        load_census_regions(conn, settings.data_dir)
        load_taxonomy(conn, settings.data_dir)
        reload_crosswalks(conn, settings.data_dir)
        row = conn.execute("SELECT ST_AsBinary(geom) AS wkb FROM region WHERE kind = 'circuit' AND code = %s",
                           [EMBED_CIRCUIT]).fetchone()
        assert row is not None
        circuit = shapely.from_wkb(bytes(row["wkb"]))
        shapely.prepare(circuit)
        run = conn.execute("INSERT INTO import_run (source, kind, summary) VALUES (%s, 'sample', %s) "
                           "RETURNING id", [SOURCE, Jsonb({"tag": tag})]).fetchone()
        assert run is not None
        inside: list[dict] = []
        outside: list[dict] = []
        for it in generate(count * 8, settings.data_dir):
            if it["place"].state != "MO":
                continue
            if shapely.contains_xy(circuit, it["lon"], it["lat"]):
                if len(inside) < EMBED_SERVICES:
                    inside.append(it)
            elif len(outside) < count - EMBED_SERVICES:
                outside.append(it)
            if len(inside) == EMBED_SERVICES and len(outside) == count - EMBED_SERVICES:
                break
        records = [sample_record({**it, "index": i}) for i, it in enumerate(inside + outside)]
        write_records(conn, SOURCE, run["id"], records, is_sample=True)  # counties, then copies at COMMIT
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
