"""Shared fixtures: a real PostGIS test database, built once per session with the reference data
and the sample services; a connection per test inside a transaction that is rolled back; a live
server for browser tests. A missing database fails the run — nothing here ever skips."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from geo import cluster
from geo.settings import Settings
from geo.setup import rebuild_database
from service.process import AtlasServer, free_port

__all__ = ["LiveServer", "free_port"]  # tests import both from here

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SAMPLE_COUNT = 3000


def _test_settings() -> Settings:
    """The test database: `<name>_test` beside whatever ATLAS_DATABASE_URL (or the local cluster) names."""
    base = Settings()
    url = base.url()
    name = psycopg.conninfo.conninfo_to_dict(url).get("dbname") or "atlas"
    test_url = psycopg.conninfo.make_conninfo(url, dbname=f"{name}_test")
    # No background tile building in tests' apps (service/warm.py): it would race the tile cache's
    # own tests; tests/service/test_warm.py turns it on.
    return base.model_copy(update={"database_url": _as_url(test_url), "desert_view_warm_s": 0})


def _as_url(conninfo: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(conninfo)
    return (f"postgresql://{info.get('user', '')}:{info.get('password', '')}@{info.get('host', '127.0.0.1')}"
            f":{info.get('port', 5432)}/{info['dbname']}")


@pytest.fixture(scope="session")
def settings() -> Settings:
    base = Settings()
    if base.database_url is None:
        cluster.start(base)  # fails loudly if PostgreSQL/PostGIS is not installed
    test = _test_settings()
    rebuild_database(test, sample_count=SAMPLE_COUNT)
    return test


@pytest.fixture
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    """A connection whose work is rolled back after the test."""
    with psycopg.connect(settings.url(), row_factory=dict_row) as c:  # type: ignore[arg-type]
        yield c
        c.rollback()


@pytest.fixture
def committed_conn(settings: Settings) -> Iterator[psycopg.Connection]:
    """For tests that must commit (other processes look); they clean up after themselves."""
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as c:  # type: ignore[arg-type]
        yield c


@pytest.fixture
def missouri_run(settings: Settings) -> Iterator[dict]:
    """A committed statewide run of Missouri for the test category, measured from two public
    shelters, in Columbia and in St. Louis (each the nearest for its half of the state); removed
    afterwards. `conn` is its own connection, for the test's committed edits."""
    from geo.deserts.model import Parameters
    from geo.deserts.runs import compute_run
    from geo.scope import RegionRef
    from tests.geo.deserts_data import (
        COLUMBIA,
        ST_LOUIS,
        TEST_CATEGORY,
        add_category,
        add_service,
        near_grid_corner,
        remove_test_data,
    )

    with psycopg.connect(settings.url(), row_factory=dict_row) as conn:  # type: ignore[arg-type]
        add_category(conn, urban_m=5000, rural_m=5000)
        site = near_grid_corner(*COLUMBIA)
        service_id = add_service(conn, *site, county_fips="29019")
        add_service(conn, *ST_LOUIS, county_fips="29510")
        run_id = compute_run(conn, RegionRef("state", "29"), categories=[TEST_CATEGORY],
                             params=Parameters(resolution=7))
        conn.commit()
        yield {"conn": conn, "site": site, "service_id": service_id, "run_id": run_id}
        conn.rollback()
        conn.execute("DELETE FROM desert_run WHERE id = %s", [run_id])
        remove_test_data(conn)
        conn.commit()


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator:
    from fastapi.testclient import TestClient

    from service.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


class LiveServer(AtlasServer):
    """`atlas serve` on the test database, on a free port; stopped by the PID we started, never by name."""

    def __init__(self, settings: Settings, log_dir: Path, extra_env: dict[str, str] | None = None):
        super().__init__(settings.url(), log_dir, env=extra_env)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def live_server(settings: Settings, artifacts: Path) -> Iterator[LiveServer]:
    server = LiveServer(settings, artifacts)
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    p = context.new_page()
    yield p
    context.close()


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    """Skipped tests hide missing parts (a database, a browser): they fail the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"FAIL: {len(skipped)} test(s) skipped; skips are not allowed.", red=True)
        session.exitstatus = 1
