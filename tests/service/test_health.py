"""/health tells the truth about the database, including when it is stopped."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient

from geo import cluster
from service.app import create_app
from tests.conftest import free_port


def test_health_reports_app_and_database_up(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["app"] == "up" and body["database"]["status"] == "up"
    assert body["database"]["postgis"].startswith("3.")


def test_health_says_database_down_with_503_when_postgres_is_stopped(settings):
    # A throwaway cluster of our own, so stopping it cannot disturb the other tests. It lives under
    # the project's .atlas/ because the `postgres` user cannot enter pytest's private tmp dirs.
    home = settings.home / "test-health"
    shutil.rmtree(home, ignore_errors=True)
    own = settings.model_copy(update={"database_url": None, "home": home, "pg_port": free_port()})
    cluster.start(own)
    try:
        cluster.ensure_database(own.url())
        with TestClient(create_app(own)) as client:
            assert client.get("/health").status_code == 200
            cluster.stop(own)
            r = client.get("/health")
            assert r.status_code == 503
            assert r.json()["database"]["status"] == "down"
            cluster.start(own)
            assert client.get("/health").status_code == 200  # the pool heals without a restart
    finally:
        cluster.stop(own)
        shutil.rmtree(home, ignore_errors=True)
