"""A third-party site (a court's web page) on another port that embeds our map in an <iframe>."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.deserts.model import Parameters
from geo.deserts.runs import compute_run
from geo.scope import RegionRef
from service.process import ServerProcess, free_port


class ThirdPartySite(ServerProcess):
    """`python -m http.server` serving pages we write; stopped by the PID we started."""

    def __init__(self, root: Path):
        self.root = root
        port = free_port()
        super().__init__([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
                         port=port, log_path=root.parent / f"{root.name}-{port}.log", ready_path="/", timeout_s=10)

    def page_embedding(self, name: str, src: str) -> str:
        """Write a court-like page with our embed in an iframe; return its URL."""
        (self.root / name).write_text(
            "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Circuit Court</title></head>"
            "<body><h1>16th Circuit: family services</h1>"
            f'<iframe id="atlas" src="{src}" width="900" height="600" title="Services map" style="border:0">'
            "</iframe></body></html>"
        )
        return f"{self.url}/{name}"


@pytest.fixture(scope="session")
def third_party_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThirdPartySite]:
    site = ThirdPartySite(tmp_path_factory.mktemp("court-site"))
    yield site
    site.stop()


@pytest.fixture
def xss_service(committed_conn) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    """A service whose name and organization are script payloads, committed (the server must see
    it) in Boone County, Missouri, and removed afterwards."""
    names = {"name": '<img src=x onerror="window.__xss=1;alert(1)">Sample: XSS',
             "organization": '"><script>window.__xss=2;alert(2)</script>'}
    c = committed_conn
    c.execute("INSERT INTO organization (id, name, source, is_sample) VALUES ('xss-org', %s, 'test', true)",
              [names["organization"]])
    c.execute("""INSERT INTO service (id, organization_id, name, source, is_sample)
                 VALUES ('xss-svc', 'xss-org', %s, 'test', true)""", [names["name"]])
    c.execute("""INSERT INTO location (id, organization_id, name, geom, county_fips, source, is_sample)
                 VALUES ('xss-loc', 'xss-org', 'x', 'SRID=4326;POINT(-92.33 38.95)', '29019', 'test', true)""")
    c.execute("""INSERT INTO service_at_location (id, service_id, location_id, source)
                 VALUES ('xss-sal', 'xss-svc', 'xss-loc', 'test')""")
    try:
        yield {"id": "xss-svc", **names}
    finally:
        c.execute("DELETE FROM service_at_location WHERE id = 'xss-sal'")
        c.execute("DELETE FROM location WHERE id = 'xss-loc'")
        c.execute("DELETE FROM service WHERE id = 'xss-svc'")
        c.execute("DELETE FROM organization WHERE id = 'xss-org'")




@pytest.fixture
def st_louis_food_run(committed_conn) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A real desert run for the 22nd Circuit (St. Louis city), food, committed for the server to
    read; removed afterwards (its cells and rollups go with it)."""
    with committed_conn.transaction():
        run_id = compute_run(committed_conn, RegionRef("circuit", "MO-22"), categories=["food"],
                             params=Parameters(resolution=7))
    try:
        yield run_id
    finally:
        committed_conn.execute("DELETE FROM desert_run WHERE id = %s", [run_id])


@pytest.fixture(scope="module")
def jackson_run(settings) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """Desert results for the 16th Circuit (Jackson County), food and child care, committed for the
    server to read; removed afterwards."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:  # type: ignore[arg-type]
        with conn.transaction():
            run_id = compute_run(conn, RegionRef("circuit", "MO-16"), categories=["food", "child-care"],
                                 params=Parameters(resolution=7))
        try:
            yield run_id
        finally:
            conn.execute("DELETE FROM desert_run WHERE id = %s", [run_id])
