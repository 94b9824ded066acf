"""`atlas import` as a user runs it: in its own process, committing for real — and killed midway."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

FIXTURES = Path(__file__).parent.parent / "geo" / "fixtures"
HEADER = ("id,name,organization,address,city,state,zip,phone,website,categories,stages,languages,"
          "capacity,hours,latitude,longitude,confidential,description\n")


def _atlas(settings, *args: str) -> subprocess.Popen:
    env = {**os.environ, "ATLAS_DATABASE_URL": settings.url()}
    return subprocess.Popen([sys.executable, "-m", "service.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _remove_source(conn, source: str) -> None:
    conn.execute("""DELETE FROM attribute a USING service s
                    WHERE a.link_entity = 'service' AND a.link_id = s.id AND s.source = %s""", [source])
    for table in ("service", "location", "organization"):
        conn.execute(f"DELETE FROM {table} WHERE source = %s", [source])  # noqa: S608
    conn.execute("DELETE FROM import_run WHERE source = %s", [source])


def _counts(conn) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"]  # noqa: S608
            for t in ("service", "location", "organization", "address", "phone", "schedule", "attribute",
                      "service_stage", "import_run", "geocode_cache")}


@pytest.fixture
def cleanup(committed_conn):
    sources: list[str] = []
    yield sources
    for source in sources:
        _remove_source(committed_conn, source)


def test_atlas_import_commits_valid_rows_and_prints_one_line(settings, committed_conn, tmp_path, cleanup):
    cleanup.append("cli-test")
    shutil.copy(FIXTURES / "messy.csv", tmp_path / "messy.csv")
    proc = _atlas(settings, "import", str(tmp_path / "messy.csv"), "--source", "cli-test")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.strip() == ("messy.csv → cli-test: imported: read 19, inserted 6, updated 0, unchanged 0, "
                           "rejected 13; placed: county 1, place 1, rooftop 3, zip 1")
    assert "messy.csv:6: name: is required and empty" in err
    assert (tmp_path / "messy.rejects.csv").exists()
    n = committed_conn.execute("SELECT count(*) AS n FROM service WHERE source = 'cli-test'").fetchone()["n"]
    assert n == 6


def test_atlas_import_all_or_nothing_exits_nonzero_and_writes_nothing(settings, committed_conn, tmp_path, cleanup):
    cleanup.append("cli-none")
    shutil.copy(FIXTURES / "messy.csv", tmp_path / "messy.csv")
    before = _counts(committed_conn)
    proc = _atlas(settings, "import", str(tmp_path / "messy.csv"), "--source", "cli-none", "--all-or-nothing")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "NOTHING written" in out
    assert _counts(committed_conn) == before


def test_an_import_killed_midway_leaves_the_database_as_it_was(settings, committed_conn, tmp_path, cleanup):
    cleanup.append("killed")
    path = tmp_path / "killed.csv"
    rows = [f"k-{i},Pantry {i},,{100 + i} Main St,Columbia,MO,65201,(573) 882-1234,,food,prevention,English,"
            f"10,Mo-Fr 09:00-17:00,{38.95 + i * 1e-5:.5f},-92.33,no,\n" for i in range(2000)]
    path.write_text(HEADER + "".join(rows))
    before = _counts(committed_conn)
    # Hold a lock the import needs late, so it is caught after writing services but before commit.
    with psycopg.connect(settings.url(), row_factory=dict_row) as blocker:  # type: ignore[arg-type]
        blocker.execute("LOCK TABLE service_stage IN ACCESS EXCLUSIVE MODE")
        proc = _atlas(settings, "import", str(path), "--source", "killed")
        backend = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and backend is None:
            row = committed_conn.execute(
                """SELECT a.pid FROM pg_stat_activity a
                   WHERE a.application_name = 'atlas import' AND a.wait_event_type = 'Lock'
                     AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid
                                 AND l.relation = 'service'::regclass AND l.mode = 'RowExclusiveLock')"""
            ).fetchone()
            backend = row["pid"] if row else None
            if backend is None:
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.05)
        assert backend is not None, "the import never reached the locked table"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        blocker.rollback()
    deadline = time.monotonic() + 30
    while committed_conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend]).fetchone():
        assert time.monotonic() < deadline, "the killed import's backend did not go away"
        time.sleep(0.05)
    assert _counts(committed_conn) == before


def test_atlas_import_dry_run_then_export_geojson(settings, committed_conn, tmp_path, cleanup):
    cleanup.append("cli-dry")
    shutil.copy(FIXTURES / "messy.csv", tmp_path / "messy.csv")
    before = _counts(committed_conn)
    proc = _atlas(settings, "import", str(tmp_path / "messy.csv"), "--source", "cli-dry", "--dry-run")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "dry run, nothing written: read 19, inserted 6" in out
    assert not (tmp_path / "messy.rejects.csv").exists()
    assert _counts(committed_conn) == before
    proc = _atlas(settings, "export", "--format", "geojson", "-o", str(tmp_path / "none.geojson"),
                  "--source", "cli-dry")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.strip() == f"exported 0 services as geojson to {tmp_path / 'none.geojson'}"
    assert json.loads((tmp_path / "none.geojson").read_text()) == {"type": "FeatureCollection", "features": []}
