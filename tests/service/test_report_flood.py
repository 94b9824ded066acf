"""Flood limits hold across app replicas (two `atlas serve` processes share the PostgreSQL token
buckets, hit at once from many threads), and after a run of reports no table, no app log and no
database log holds the reporters' addresses."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from geo.settings import Settings
from tests.conftest import LiveServer
from tests.service.logscan import without_generated_values
from tests.service.reviewing import SERVICE_IN_COUNTY

FLOODER, NEIGHBOUR, OTHER = "203.0.113.77", "198.51.100.23", "192.0.2.141"
LIMITS = {"ATLAS_REPORT_CLIENT_PER_HOUR": "4", "ATLAS_REPORT_SERVICE_PER_HOUR": "7",
          "ATLAS_REPORT_CLIENT_HEADER": "x-forwarded-for"}


def _database_logs() -> list[Path]:
    base = Settings()
    if base.database_url is not None:
        return []
    return [p for p in [base.cluster_dir / "server.log", *sorted((base.cluster_dir / "log").glob("*"))] if p.is_file()]


def _tables_holding(conn: psycopg.Connection, needles: list[str]) -> list[tuple[str, str]]:
    """Every (table, needle) where a row of a table in the public schema, as text, holds the needle."""
    tables = [r["tablename"] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    found = []
    for table in tables:
        for needle in needles:
            hit = conn.execute(sql.SQL("SELECT 1 FROM {} t WHERE t::text LIKE %s LIMIT 1").format(sql.Identifier(table)),
                               [f"%{needle}%"]).fetchone()
            if hit:
                found.append((table, needle))
    return found


def test_limits_hold_across_two_app_processes_and_no_address_is_kept(settings, committed_conn, tmp_path):
    conn = committed_conn
    service_id = conn.execute(SERVICE_IN_COUNTY, ["29019"]).fetchone()["id"]
    conn.execute("DELETE FROM report_bucket")
    conn.execute("DELETE FROM problem_report WHERE service_id = %s", [service_id])
    db_logs = _database_logs()
    sizes = {p: p.stat().st_size for p in db_logs}
    servers = [LiveServer(settings, tmp_path, extra_env=LIMITS) for _ in range(2)]
    try:
        clients = [httpx.Client(base_url=s.url, timeout=30) for s in servers]

        def send(n: int, address: str) -> httpx.Response:
            return clients[n % 2].post(f"/api/services/{service_id}/reports", headers={"X-Forwarded-For": address},
                                       json={"kind": "closed", "text": f"report {n} <b>closed</b>"})

        with ThreadPoolExecutor(8) as pool:  # 12 at once from one address, split over both processes
            flood = list(pool.map(lambda n: send(n, FLOODER), range(12)))
        assert sorted(r.status_code for r in flood) == [201] * 4 + [429] * 8
        refused = next(r for r in flood if r.status_code == 429)
        assert refused.headers["Retry-After"] == "900" and "from your connection" in refused.json()["detail"]
        # Another address still gets through, until the service's own limit (7 an hour) is reached.
        neighbour = [send(n, NEIGHBOUR).status_code for n in range(4)]
        assert neighbour == [201, 201, 201, 429]
        last = send(0, OTHER)
        assert last.status_code == 429 and "about this service" in last.json()["detail"]
        # The no-JS form is held by the same buckets.
        form = clients[1].post(f"/problem/{service_id}?lang=es", headers={"X-Forwarded-For": OTHER},
                               data={"kind": "moved"})
        assert form.status_code == 429 and "demasiados informes" in form.text
        for c in clients:
            c.close()
    finally:
        for s in servers:
            s.stop()
    assert conn.execute("SELECT count(*) AS n FROM problem_report WHERE service_id = %s",
                        [service_id]).fetchone()["n"] == 7
    # No address, in any table or log; the client buckets hold only salted hashes.
    needles = [FLOODER, NEIGHBOUR, OTHER, "127.0.0.1", "203.0.113", "198.51.100"]
    assert _tables_holding(conn, needles) == []
    buckets = [r["bucket"] for r in conn.execute("SELECT bucket FROM report_bucket ORDER BY bucket")]
    # Two clients got through; the third was refused by the service's bucket, which gave its token back.
    assert len([b for b in buckets if b.startswith("client:")]) == 2 and f"service:{service_id}" in buckets
    for s in servers:
        text = without_generated_values(s.log_path.read_text())
        assert "/api/services/{record_id}/reports" in text
        assert not [n for n in needles if n in text], s.log_path
    for log in db_logs:
        text = log.read_bytes()[sizes[log]:].decode("utf-8", "replace")
        assert not [n for n in needles[:3] if n in text], log
    conn.execute("DELETE FROM problem_report WHERE service_id = %s", [service_id])
    conn.execute("DELETE FROM report_bucket")
