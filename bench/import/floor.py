"""The schema's floor: how long PostgreSQL takes to take in exactly the rows one `atlas import`
wrote — no reading, no validation, no geocoding, no SQL beyond COPY — into an empty database with
the same schema, in one transaction. No loader into this schema can be faster than this, so it
separates what the importer costs from what the normalised tables cost.

With --no-checks the same COPY runs with `session_replication_role = replica` (foreign-key checks
and triggers off: what pg_restore --disable-triggers does; needs a superuser, as the project's
local cluster user is) to show what is left once integrity checks are gone.
"""

from __future__ import annotations

import io
import time

import psycopg

from geo import cluster
from geo.settings import Settings
from geo.setup import rebuild_database

# Everything an import writes, parents before children.
TABLES = ["import_run", "organization", "service", "location", "address", "service_at_location", "phone",
          "schedule", "language", "attribute", "service_stage", "service_point"]


def dump(url: str) -> dict[str, bytes]:
    """The import's rows, table by table, in COPY's binary format."""
    data = {}
    with psycopg.connect(url) as conn:
        for table in TABLES:
            buffer = io.BytesIO()
            with conn.cursor().copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            data[table] = buffer.getvalue()
    return data


def fresh_copy_of_schema(settings: Settings) -> Settings:
    """An empty `<db>_floor` database with the same schema and reference data."""
    floor = settings.model_copy(update={"database_url": settings.url() + "_floor"})
    rebuild_database(floor, sample_count=0)
    return floor


def load(settings: Settings, data: dict[str, bytes], *, checks: bool = True) -> tuple[float, dict[str, float]]:
    """COPY the dumped rows into a fresh copy of the schema; seconds in all (commit included) and
    per table."""
    floor = fresh_copy_of_schema(settings)
    per_table = {}
    try:
        with psycopg.connect(floor.url()) as conn:
            start = time.perf_counter()
            if not checks:
                conn.execute("SET session_replication_role = replica")
            for table in TABLES:
                t = time.perf_counter()
                with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
                    copy.write(data[table])
                per_table[table] = time.perf_counter() - t
            conn.commit()
            return time.perf_counter() - start, per_table
    finally:
        cluster.drop_database(floor.url())
