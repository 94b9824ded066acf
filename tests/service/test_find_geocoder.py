"""/find and /api/services/nearby with an online geocoder configured (ATLAS_GEOCODER_*): a street
address is placed at its door; a geocoder that is down or slow falls back to the offline gazetteer
within the search timeout; the address is in no log record."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.geo.test_geocode import KNOWN, fake_geocoder  # noqa: F401 - a fixture

ADDRESS = "1 Elm St, Columbia, MO"


def _client(settings, monkeypatch, url: str, timeout_s: str = "3") -> TestClient:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ATLAS_GEOCODER_KIND", "nominatim")
    monkeypatch.setenv("ATLAS_GEOCODER_URL", url)
    monkeypatch.setenv("ATLAS_GEOCODER_SEARCH_TIMEOUT_S", timeout_s)
    return TestClient(create_app(settings))


class Slow(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        time.sleep(8)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"[]")


@pytest.fixture
def slow_geocoder() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_street_address_is_placed_by_the_online_geocoder(settings, monkeypatch, caplog, fake_geocoder):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    with _client(settings, monkeypatch, fake_geocoder) as client:
        page = client.post("/find", data={"near": ADDRESS, "radius_km": "10"})
        api = client.get("/api/services/nearby", params={"near": ADDRESS, "radius_m": 10_000, "per_page": 1})
        town = client.get("/api/services/nearby", params={"near": "Columbia, MO", "radius_m": 10_000, "per_page": 1})
    assert page.status_code == 200 and "measured from the address you entered" in page.text
    assert "about " not in page.text.split('class="distance"', 1)[1][:200]
    assert api.json()["contents"][0]["distance_m"] != town.json()["contents"][0]["distance_m"]
    records = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records
                        if not r.name.startswith(("httpx", "httpcore")) or r.levelno >= logging.INFO)
    lat, lon = KNOWN["1 elm st"]
    assert "Elm St" not in records and "Elm+St" not in records and str(lat) not in records


def test_a_geocoder_that_is_down_or_slow_falls_back_to_the_town(settings, monkeypatch, slow_geocoder):
    for url in ("http://127.0.0.1:9", slow_geocoder):
        with _client(settings, monkeypatch, url, timeout_s="1") as client:
            started = time.monotonic()
            page = client.post("/find", data={"near": ADDRESS, "radius_km": "10"})
            took = time.monotonic() - started
        assert page.status_code == 200 and took < 6, (url, took)  # the slow one answers after 8 s
        assert "street address was not looked up" in page.text and "centre of Columbia, MO" in page.text
