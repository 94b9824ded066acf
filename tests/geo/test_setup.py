"""`atlas setup` (what `make demo` runs) is idempotent: running it twice leaves the same rows."""

from __future__ import annotations

import os
import subprocess
import sys

TABLES = ["desert_run", "desert_rollup", "region", "region_member", "taxonomy_term", "landscape_stage", "organization", "service",
          "location", "service_at_location", "address", "phone", "schedule", "language", "attribute",
          "service_stage", "cost_option"]


def counts(conn) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"] for t in TABLES}  # noqa: S608


def test_running_setup_twice_leaves_the_same_row_counts(committed_conn, settings):
    env = {**os.environ, "ATLAS_DATABASE_URL": settings.url()}
    try:
        _setup_twice(committed_conn, env)
    finally:  # other tests expect no desert results unless they make their own
        committed_conn.execute("DELETE FROM desert_run")


def _setup_twice(committed_conn, env) -> None:  # type: ignore[no-untyped-def]
    first = subprocess.run([sys.executable, "-m", "service.cli", "setup", "--deserts-resolution", "5"], env=env,
                           capture_output=True, text=True, check=True)
    after_first = counts(committed_conn)
    second = subprocess.run([sys.executable, "-m", "service.cli", "setup", "--deserts-resolution", "5"], env=env,
                            capture_output=True, text=True, check=True)
    assert counts(committed_conn) == after_first
    assert after_first["region"] > 3300 and after_first["service"] == 3000
    assert after_first["desert_run"] >= 2  # Missouri and Massachusetts
    assert "0 region rows changed, 0 county moves, 0 sample services written, 0 desert runs computed" in second.stderr, first.stderr
