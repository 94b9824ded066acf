"""The home page in Debian's Chromium: a state's counties, circuits and sample services, drawn
from local assets only (no basemap tiles are reachable in tests)."""

from __future__ import annotations

import json

import pytest

from tests.pages.axe import axe_violations, describe

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


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
def test_home_page_links_to_find_and_map_lets_people_zoom_and_has_no_axe_violations(
        browser, live_server, artifacts, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("body[data-atlas-loaded]", timeout=20_000)
        assert page.locator("h1").count() == 1 and "Missouri" in page.inner_text("h1")
        assert page.get_by_role("link", name="Find services near you").get_attribute("href") == "/find"
        assert page.get_by_role("link", name="Service deserts map").get_attribute("href") == "/map?state=MO"
        assert "user-scalable" not in page.content() and "maximum-scale" not in page.content()
        header = page.locator("header").bounding_box()
        assert header and header["y"] == 0 and header["height"] < viewport["height"] / 3
        # The layer list is a button until opened (open, it covered a third of a phone's map).
        assert page.locator(".leaflet-control-layers-toggle").is_visible()
        assert page.locator(".leaflet-control-layers-expanded").count() == 0
        violations = axe_violations(page)
        assert violations == [], describe(violations)
        name = "phone" if viewport["width"] < 500 else "desktop"
        page.screenshot(path=str(artifacts / f"home-{name}.png"))
    finally:
        context.close()
