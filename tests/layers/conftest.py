"""Desert results for map tests. The deserts engine owns desert_run/desert_cell/desert_rollup; here
they are made (when absent) and filled inside the test's transaction, which is rolled back."""

from __future__ import annotations

import h3
import pytest

DESERT_DDL = """
CREATE TABLE IF NOT EXISTS desert_run (
    id bigserial PRIMARY KEY, region_kind text, region_code text, category text, stage text,
    resolution int, parameters jsonb, data_version text, started_at timestamptz, finished_at timestamptz);
CREATE TABLE IF NOT EXISTS desert_cell (
    run_id bigint, h3 text, category text, stage text, geom geometry(Polygon, 4326), population double precision,
    urban bool, distance_m double precision, threshold_m double precision, covered bool,
    access_2sfca double precision, access_e2sfca double precision);
CREATE TABLE IF NOT EXISTS desert_rollup (
    run_id bigint, region_kind text, region_code text, category text, stage text, population double precision,
    population_uncovered double precision, share_uncovered double precision, mean_distance_m double precision,
    mean_2sfca double precision, rank int);
"""
# Columbia, Missouri (Boone County, 13th circuit) and its rural surroundings.
CELLS = [(38.95, -92.33), (38.99, -92.40), (38.90, -92.25), (39.05, -92.50), (38.80, -92.20), (39.10, -92.20)]
ROLLUPS = [("county", "29019", 0.10), ("county", "29051", 0.55), ("county", "29027", 0.80),
           ("county", "29089", 0.30), ("circuit", "MO-13", 0.12)]


def cell_wkt(cell: str) -> str:
    ring = [(lon, lat) for lat, lon in h3.cell_to_boundary(cell)]
    ring.append(ring[0])
    return "POLYGON((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"


@pytest.fixture
def desert_results(conn):  # type: ignore[no-untyped-def]
    """Two runs for food (an old one, superseded), rollups per county and one circuit."""
    conn.execute(DESERT_DDL)
    # Only this fixture's runs: others (a committed `atlas setup` run) are hidden until rollback.
    conn.execute("TRUNCATE desert_run CASCADE")
    old = conn.execute(
        """INSERT INTO desert_run (region_kind, region_code, category, stage, resolution, parameters,
               data_version, started_at, finished_at)
           VALUES ('state', '29', 'food', NULL, 7, '{}', 'test', now() - interval '2 days',
                   now() - interval '2 days') RETURNING id""").fetchone()["id"]
    new = conn.execute(
        """INSERT INTO desert_run (region_kind, region_code, category, stage, resolution, parameters,
               data_version, started_at, finished_at)
           VALUES ('state', '29', 'food', NULL, 7, '{}', 'test', now(), now()) RETURNING id""").fetchone()["id"]
    for i, (lat, lon) in enumerate(CELLS):
        cell = h3.latlng_to_cell(lat, lon, 7)
        for run, distance in ((old, 99_999.0), (new, 1_000.0 + 5_000 * i)):
            conn.execute(
                """INSERT INTO desert_cell (run_id, h3, category, stage, geom, population, urban, distance_m,
                       threshold_m, covered, access_2sfca, access_e2sfca)
                   VALUES (%s, %s, 'food', NULL, ST_GeomFromText(%s, 4326), %s, %s, %s, %s, %s, %s, %s)""",
                [run, cell, cell_wkt(cell), 100 * (i + 1), i == 0, distance, 1609 if i == 0 else 16093,
                 distance <= (1609 if i == 0 else 16093), 0.01 * (6 - i), 0.012 * (6 - i)])
    for rank, (kind, code, share) in enumerate(sorted(ROLLUPS, key=lambda r: -r[2]), start=1):
        conn.execute(
            """INSERT INTO desert_rollup (run_id, region_kind, region_code, category, stage, population,
                   population_uncovered, share_uncovered, mean_distance_m, mean_2sfca, rank)
               VALUES (%s, %s, %s, 'food', NULL, 10000, %s, %s, %s, 0.002, %s)""",
            [new, kind, code, 10000 * share, share, 20000 * share, rank])
    return {"old": old, "new": new}


@pytest.fixture
def no_desert_results(conn):  # type: ignore[no-untyped-def]
    """As before `atlas deserts compute` ever ran: the tables are absent (dropped, then rolled back)."""
    conn.execute("DROP TABLE IF EXISTS desert_rollup, desert_cell, desert_run CASCADE")
    return conn
