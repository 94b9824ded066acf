"""PostgreSQL restarts while requests run: the app answers 503 during the gap (with a message, and
no write half-applied) and 200 again within 5 s of the database being back, without restarting."""

from __future__ import annotations

import shutil
import threading
import time

import httpx
import psycopg

from geo import cluster
from geo.db import connect
from geo.keys import create_key
from geo.setup import load_reference, prepare_database
from tests.conftest import LiveServer, free_port


def test_postgres_restart_gives_503_then_200_within_5_s_without_restarting_the_app(settings, artifacts):
    # A throwaway cluster, under the project's .atlas/ (the `postgres` user cannot enter pytest's
    # tmp dirs), so stopping it disturbs no other test.
    home = settings.home / "test-resilience"
    shutil.rmtree(home, ignore_errors=True)
    own = settings.model_copy(update={"database_url": None, "home": home, "pg_port": free_port()})
    server = None
    try:
        prepare_database(own)
        load_reference(own, sample_count=0)
        with connect(own, autocommit=True) as conn:
            _, secret = create_key(conn, "resilience", "admin")
        server = LiveServer(own.model_copy(update={"database_url": own.url()}), artifacts)
        headers = {"Authorization": f"Bearer {secret}"}
        results: list[tuple[float, str, int]] = []
        stop = threading.Event()

        def read_load() -> None:
            with httpx.Client(base_url=server.url, timeout=15) as c:
                while not stop.is_set():
                    r = c.get("/api/regions", params={"kind": "state", "code": "29"})
                    results.append((time.monotonic(), "read", r.status_code))
                    time.sleep(0.05)

        reader = threading.Thread(target=read_load)
        reader.start()
        time.sleep(1)
        cluster.stop(own)
        down_at = time.monotonic()
        outage: dict[str, httpx.Response] = {}

        def during_outage(name: str, method: str, path: str, **kw) -> None:
            with httpx.Client(base_url=server.url, timeout=15) as c:
                outage[name] = c.request(method, path, **kw)

        calls = [threading.Thread(target=during_outage, args=(f"write{i}", "POST", "/api/organizations"),
                                  kwargs={"json": {"name": f"During outage {i}"}, "headers": headers})
                 for i in range(2)]
        calls.append(threading.Thread(target=during_outage, args=("ready", "GET", "/health/ready")))
        for t in calls:
            t.start()
        for t in calls:
            t.join()
        writes, ready = [outage["write0"], outage["write1"]], outage["ready"]
        time.sleep(max(0.0, 1 - (time.monotonic() - down_at)))
        starting_at = time.monotonic()  # PostgreSQL may accept connections before start() returns
        cluster.start(own)
        up_at = time.monotonic()
        deadline = up_at + 10
        while time.monotonic() < deadline and not any(t > up_at and s == 200 for t, _, s in results):
            time.sleep(0.05)
        stop.set()
        reader.join()

        timeline = [(round(t - down_at, 2), s) for t, _, s in results if t > down_at - 0.5]
        during = [s for t, _, s in results if down_at + 0.5 < t < starting_at]
        assert during and set(during) == {503}, timeline
        assert ready.status_code == 503 and ready.json()["database"]["status"] == "down"
        for w in writes:
            assert w.status_code == 503 and "try again" in w.json()["detail"]
            assert w.headers["retry-after"] == "5"
        first_ok = min(t for t, _, s in results if t > up_at and s == 200)
        assert first_ok - up_at < 5, (f"recovered {first_ok - up_at:.1f} s after PostgreSQL came back", timeline)
        assert set(s for t, _, s in results if t > first_ok) <= {200}
        assert server.proc.poll() is None  # the same process throughout
        with httpx.Client(base_url=server.url, timeout=15) as c:
            assert c.get("/health/ready").status_code == 200
            assert c.post("/api/organizations", json={"name": "After outage"}, headers=headers).status_code == 201
        with psycopg.connect(own.url()) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM organization")}
            audited = conn.execute("SELECT count(*) FROM audit_log").fetchone()
        assert names == {"After outage"} and audited == (1,)  # nothing half-written from the outage
    finally:
        if server is not None:
            server.stop()
        cluster.stop(own)
        shutil.rmtree(home, ignore_errors=True)
