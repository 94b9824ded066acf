"""The home page in Debian's Chromium: a state's counties, circuits and sample services, drawn
from local assets only (no basemap tiles are reachable in tests)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser


def test_home_page_draws_missouri_counties_circuits_and_services(page, live_server, artifacts):
    external: list[str] = []
    page.on("request", lambda req: external.append(req.url) if not req.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/?state=MO")
    page.wait_for_selector("body[data-atlas-loaded]", timeout=20_000)
    loaded = json.loads(page.get_attribute("body", "data-atlas-loaded") or "{}")
    assert loaded["counties"] == 115 and loaded["courts"] == 46 and loaded["services"] > 1000
    assert page.locator(".marker-cluster").count() > 5  # services, clustered
    assert page.locator(".leaflet-overlay-pane canvas").count() >= 1  # boundaries, on canvas
    assert "SAMPLE DATA" in page.inner_text(".atlas-legend")
    page.screenshot(path=str(artifacts / "home-mo.png"))
    # Only basemap tiles may leave the machine; the map itself works without them.
    assert all("tile.openstreetmap.org" in url for url in external), external
