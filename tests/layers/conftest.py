"""Desert results for map tests. The deserts engine owns desert_run, its compact cells
(desert_surface_block, desert_measure: migration 0017, written by geo.deserts.store) and
desert_rollup; here they are filled as `atlas deserts compute` fills them, inside the test's
transaction, which is rolled back."""

from __future__ import annotations

import h3
import pytest
from psycopg.types.json import Jsonb

from geo.deserts.store import store_cells

# Columbia, Missouri (Boone County, 13th circuit) and its rural surroundings.
CELLS = [(38.95, -92.33), (38.99, -92.40), (38.90, -92.25), (39.05, -92.50), (38.80, -92.20), (39.10, -92.20)]
ROLLUPS = [("county", "29019", 0.10), ("county", "29051", 0.55), ("county", "29027", 0.80),
           ("county", "29089", 0.30), ("circuit", "MO-13", 0.12)]


def _finished_run(conn, *, category: str | None, categories: list[str], age: str, cells: int) -> int:  # type: ignore[no-untyped-def]
    """A done state:29 run at resolution 7 covering every Missouri county, as the engine records it."""
    return conn.execute(
        """INSERT INTO desert_run (region_kind, region_code, category, stage, resolution, parameters,
               data_version, started_at, finished_at, status, cells)
           SELECT 'state', '29', %(category)s, NULL, 7,
                  jsonb_build_object('resolution', 7, 'categories', %(categories)s::jsonb,
                                     'counties', jsonb_agg(code ORDER BY code)),
                  'test', now() - %(age)s::interval, now() - %(age)s::interval, 'done', %(cells)s
           FROM region WHERE kind = 'county' AND state_fips = '29'
           RETURNING id""",
        {"category": category, "categories": Jsonb(categories), "age": age, "cells": cells},
    ).fetchone()["id"]


@pytest.fixture
def desert_results(conn):  # type: ignore[no-untyped-def]
    """Two state runs with food (an older all-categories one, superseded for food by a food-only
    recompute the engine keeps it beside), rollups per county and one circuit."""
    # Only this fixture's runs: others (a committed `atlas setup` run) are hidden until rollback.
    conn.execute("TRUNCATE desert_run CASCADE")
    old = _finished_run(conn, category=None, categories=["food", "housing"], age="2 days", cells=len(CELLS))
    new = _finished_run(conn, category="food", categories=["food"], age="0 days", cells=len(CELLS))
    cells = [h3.latlng_to_cell(lat, lon, 7) for lat, lon in CELLS]
    counties = [conn.execute("""SELECT code FROM region WHERE kind = 'county'
                                AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))""",
                             [lon, lat]).fetchone()["code"] for lat, lon in (h3.cell_to_latlng(c) for c in cells)]
    for run, distances in ((old, [99_999.0] * len(CELLS)), (new, [1_000.0 + 5_000 * i for i in range(len(CELLS))])):
        store_cells(conn, run, "food", None, h3_cells=cells, county_fips=counties,
                    population=[100 * (i + 1) for i in range(len(CELLS))], urban=[i == 0 for i in range(len(CELLS))],
                    distance_m=distances, urban_m=1609, rural_m=16093,
                    access_2sfca=[0.01 * (6 - i) for i in range(len(CELLS))],
                    access_e2sfca=[0.012 * (6 - i) for i in range(len(CELLS))])
    for rank, (kind, code, share) in enumerate(sorted(ROLLUPS, key=lambda r: -r[2]), start=1):
        conn.execute(
            """INSERT INTO desert_rollup (run_id, region_kind, region_code, category, stage, population,
                   population_uncovered, share_uncovered, mean_distance_m, mean_2sfca, rank, services,
                   region_name)
               SELECT %s, %s, %s, 'food', NULL, 10000, %s, %s, %s, 0.002, %s, 3, name
               FROM region WHERE kind = %s AND code = %s""",
            [new, kind, code, 10000 * share, share, 20000 * share, rank, kind, code])
    assert all(c.startswith("29") for c in counties), "every test cell lies in a Missouri county"
    return {"old": old, "new": new}


@pytest.fixture
def no_desert_results(conn):  # type: ignore[no-untyped-def]
    """As before `atlas deserts compute` ever ran: the tables are absent (dropped, then rolled back)."""
    conn.execute("DROP TABLE IF EXISTS desert_rollup, desert_measure, desert_run CASCADE")
    return conn
