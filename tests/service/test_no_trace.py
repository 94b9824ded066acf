"""No trace: after searches by coordinates, ZIP and address (API and /find), no log the app or its
database wrote contains the place searched, and no response set a cookie."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx

from geo.near import geocode_near
from geo.settings import Settings
from tests.conftest import LiveServer
from tests.service.logscan import without_generated_values

COORDS = "38.95173,-92.33407"
ADDRESS = "1200 Jefferson City Test Rd, Jefferson City, MO"
ZIP = "64106"


def _needles() -> list[str]:
    needles = ["38.95173", "-92.33407", "92.33407", "Jefferson City Test", "Jefferson+City", "Jefferson%20City",
               ZIP]
    for near in (ADDRESS, ZIP):
        point = geocode_near(near)
        needles += [f"{point.latitude:.4f}", f"{abs(point.longitude):.4f}", repr(point.latitude),
                    repr(point.longitude)]
    return needles


def _database_logs(settings: Settings) -> list[Path]:
    """The local cluster's server log (tests use it unless ATLAS_DATABASE_URL points elsewhere)."""
    base = Settings()
    if base.database_url is not None:
        return []
    logs = [base.cluster_dir / "server.log", *sorted((base.cluster_dir / "log").glob("*"))]
    return [p for p in logs if p.is_file()]


def test_searches_leave_no_trace_in_any_log(settings, tmp_path):
    db_logs = _database_logs(settings)
    before = {p: p.stat().st_size for p in db_logs}
    server = LiveServer(settings, tmp_path)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            responses = [
                http.get("/api/services/nearby", params={"near": COORDS, "category": "food"}),
                http.get("/api/services/nearby", params={"near": ADDRESS, "open_now": "true"}),
                http.get("/api/services/nearby", params={"near": ZIP, "language": "es", "per_page": 5}),
                http.get("/api/services/nearby", params={"near": COORDS, "category": "no-such-thing"}),
                http.get("/api/services/nearby", params={"near": COORDS, "radius_m": 10_000_000}),
                http.post("/find", data={"near": ADDRESS, "category": "food", "radius_km": "40"}),
                http.post("/find", data={"near": ZIP}),
                http.get("/find"),
            ]
    finally:
        server.stop()
    assert [r.status_code for r in responses] == [200, 200, 200, 400, 400, 200, 200, 200]
    assert all("set-cookie" not in r.headers for r in responses)
    assert responses[0].json()["contents"] and "<li class=\"result\"" in responses[5].text
    logs = [server.log_path, *db_logs]
    assert server.log_path.exists()
    for log in logs:
        text = log.read_bytes()[before.get(log, 0):].decode("utf-8", "replace")
        if log == server.log_path:
            text = without_generated_values(text)
        found = [needle for needle in _needles() if needle in text]
        assert not found, f"{log} contains {found}"


def test_no_logger_at_any_level_records_the_place_searched(client, caplog):
    """Even with every logger at DEBUG (more than the app is ever run with), no record holds it."""
    caplog.set_level(logging.DEBUG)
    assert client.get("/api/services/nearby", params={"near": COORDS}).status_code == 200
    assert client.get("/api/services/nearby", params={"near": ADDRESS, "category": "nope"}).status_code == 400
    assert client.post("/find", data={"near": ZIP, "radius_km": "10"}).status_code == 200
    # httpx and httpcore are the test's own client, not the app.
    app_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in app_records)
    assert not [needle for needle in _needles() if needle in text]
