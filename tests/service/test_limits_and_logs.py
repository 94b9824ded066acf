"""Limits and errors (413, JSON errors, no stack traces) and structured logs that never contain a
search location or a confidential address."""

from __future__ import annotations

import http.client
import json
import threading
import time

import httpx
import psycopg
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from geo.keys import create_key
from service.app import create_app
from service.deps import Conn
from service.limits import MAX_BODY_BYTES
from tests.conftest import free_port
from tests.service.editing import cleanup_edits
from tests.service.logscan import without_generated_values


def test_an_oversized_body_is_413_json_whether_announced_or_streamed(client):
    big = b"x" * (MAX_BODY_BYTES + 1)
    r = client.post("/api/organizations", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit is 1,048,576 bytes" in r.json()["detail"]

    def chunks():
        for _ in range(12):
            yield b"x" * 100_000

    r = client.post("/api/organizations", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"


def test_an_unexpected_error_is_a_json_500_without_a_stack_trace(settings):
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail at /srv/atlas/geo/x.py line 12")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal error; it has been logged."}
    assert "secret" not in r.text and "Traceback" not in r.text


def test_after_an_unexpected_error_the_keep_alive_connection_and_the_pooled_one_still_work(settings):
    """A real server (uvicorn, in this process) with a one-connection pool: a 500 raised inside a
    transaction, then a second request on the same HTTP connection, served by the same database one."""
    import uvicorn

    app = create_app(settings.model_copy(update={"pool_min": 1, "pool_max": 1}))

    @app.post("/boom")
    def boom(conn: Conn) -> None:
        with conn.transaction():
            conn.execute("CREATE TEMP TABLE half_done (x int)")
            raise RuntimeError("unexpected")

    @app.post("/boom-outside-a-block")
    def boom_outside(conn: Conn) -> None:
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE half_done (x int)")
        raise RuntimeError("unexpected")

    @app.get("/state")
    def state(conn: Conn) -> dict:
        half_done = conn.execute("SELECT to_regclass('pg_temp.half_done') IS NOT NULL AS t").fetchone()
        return {"transaction": conn.info.transaction_status.name, "half_done": half_done["t"]}  # type: ignore[index]

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        http_conn = http.client.HTTPConnection("127.0.0.1", server.config.port, timeout=10)
        for path in ("/boom", "/boom-outside-a-block"):
            http_conn.request("POST", path)
            r = http_conn.getresponse()
            body = json.loads(r.read())
            assert r.status == 500 and body == {"detail": "Internal error; it has been logged."}
            assert r.getheader("connection") != "close"
            sock = http_conn.sock
            http_conn.request("GET", "/state")
            r = http_conn.getresponse()
            assert http_conn.sock is sock  # the same keep-alive connection answered
            assert (r.status, json.loads(r.read())) == (200, {"transaction": "IDLE", "half_done": False})
        http_conn.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_database_refusals_are_json_and_do_not_echo_the_database(client):
    r = client.get("/api/regions", params={"code": "a\x00b"})
    assert r.status_code == 400 and "NUL" in r.json()["detail"]
    assert "PostgreSQL" not in r.text
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_log_lines_are_json_and_never_contain_a_search_location_or_confidential_address(settings, live_server):
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:
        cleanup_edits(conn, ["test logs admin"])
        _, secret = create_key(conn, "test logs admin", "admin")
        try:
            headers = {"Authorization": f"Bearer {secret}", "X-Request-ID": "log-test-1"}
            r = httpx.get(f"{live_server.url}/api/regions/at", params={"lat": 39.0997, "lon": -94.5786},
                          headers={"X-Request-ID": "log-test-1"})
            assert r.status_code == 200 and r.headers["x-request-id"] == "log-test-1"
            shelter = {"latitude": 38.6270, "longitude": -90.1994, "confidential": True, "name": "Hidden House",
                       "address": {"address_1": "742 Evergreen Terrace", "city": "St. Louis",
                                   "state_province": "MO", "postal_code": "63101"}}
            r = httpx.post(f"{live_server.url}/api/locations", json=shelter, headers=headers)
            assert r.status_code == 201, r.text
            bad = httpx.post(f"{live_server.url}/api/locations", json={**shelter, "latitude": 95}, headers=headers)
            assert bad.status_code == 422
            httpx.get(f"{live_server.url}/find/38.6270,-90.1994")  # a location in a path nobody serves
        finally:
            cleanup_edits(conn, ["test logs admin"])
    lines = [json.loads(line) for line in live_server.log_path.read_text().splitlines() if line.startswith("{")]
    access = [rec for rec in lines if rec["logger"] == "atlas.access"]
    at = [rec for rec in access if rec["request_id"] == "log-test-1"]
    assert {(rec["method"], rec["path"], rec["status"]) for rec in at} >= {
        ("GET", "/api/regions/at", 200), ("POST", "/api/locations", 201), ("POST", "/api/locations", 422)}
    assert all(isinstance(rec["duration_ms"], float) for rec in at)
    text = without_generated_values(live_server.log_path.read_text())
    for leak in ("39.0997", "94.5786", "38.627", "90.1994", "Evergreen", "Hidden House", "63101", "lat="):
        assert leak not in text, leak

