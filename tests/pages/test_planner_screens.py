"""A planner on /map and /report, a court webmaster on /embed and its builder, in Debian's Chromium
on a 390×844 phone and a desktop: axe-core finds nothing (run with each page's own CSP), numbers
read as people read them, a desert cell answers a click with the boundaries on, the report has a
map and one number per fact. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json

import pytest

from tests.pages.axe import axe_violations, describe

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PAGES = {
    "map": "/map?state=MO&category=food",
    "report": "/report/circuit:MO-16",
    "embed-builder": "/embed?region=circuit:MO-16&category=food",
    "embed": "/embed/circuit:MO-16?category=food",
}


def _open(browser, url: str, viewport: dict):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    if "/report/" not in url and "/embed?" not in url:  # a map page: its layers have loaded
        page.locator("body[data-atlas-loaded]").wait_for(timeout=30_000)
    for frame in page.frames[1:]:
        frame.locator("body[data-atlas-loaded]").wait_for(timeout=30_000)
    page.wait_for_timeout(800)  # tiles and clusters are drawn just after the data arrives
    return context, page


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_page_has_no_axe_violations_and_is_photographed(browser, live_server, jackson_run, artifacts, name, device):
    context, page = _open(browser, live_server.url + PAGES[name], PHONE if device == "phone" else DESKTOP)
    try:
        viewport = page.locator('meta[name="viewport"]').get_attribute("content") or ""
        assert "user-scalable=no" not in viewport and "maximum-scale" not in viewport
        violations = axe_violations(page)
        page.screenshot(path=str(artifacts / f"screen-{name}-{device}.png"), full_page=name == "report")
        assert violations == [], describe(violations)
        if device == "phone":  # nothing wider than the phone
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_map_has_a_heading_and_draws_statewide_cells_from_tiles_that_answer_a_click(
        browser, live_server, jackson_run, artifacts):
    context, page = _open(browser, f"{live_server.url}/map?state=MO&category=food", DESKTOP)
    try:
        assert page.locator("h1").inner_text() == "Upstream Atlas: Missouri"
        loaded = json.loads(page.locator("body").get_attribute("data-atlas-loaded") or "{}")
        assert loaded["deserts"] == "tiles"
        legend = page.locator(".atlas-legend li[data-layer=deserts]").inner_text()
        assert "No one beyond reach" in legend and "1–25 people beyond reach" in legend and "e-0" not in legend
        # Kansas City at zoom 11, both boundary layers on: a click inside a cell opens the cell.
        page.evaluate("""() => { const k = Object.keys(window).find(k => k.startsWith('map_'));
                                 window[k].setView([39.03, -94.45], 11, {animate: false}); }""")
        page.wait_for_timeout(2500)
        page.mouse.click(640, 400)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        assert "People living here" in text and " mi (" in text and " km)" in text
        assert "." not in text.split("People living here")[1].split("\n")[1]  # whole people
        page.wait_for_timeout(400)  # the pan into view
        # Readable: every value at least 6rem wide (a long label once left them one letter wide), and
        # the whole popup below the filter panel that lies over the top of the map.
        widths = page.evaluate("[...document.querySelectorAll('.leaflet-popup-content dd')]"
                               ".map(d => d.getBoundingClientRect().width)")
        assert widths and min(widths) >= 96, widths
        panel = page.locator(".atlas-panel").bounding_box()
        box = page.locator(".leaflet-popup").bounding_box()
        assert panel and box and box["y"] >= panel["y"] + panel["height"], (box, panel)
        page.screenshot(path=str(artifacts / "screen-map-cell-popup.png"))
    finally:
        context.close()


def test_region_list_is_in_natural_order(client):
    page = client.get("/map?state=MO").text
    first = page.index(">1st Judicial Circuit (circuit)<")
    assert first < page.index(">2nd Judicial Circuit (circuit)<") < page.index(">19th Judicial Circuit (circuit)<")


def test_embed_legend_folds_and_covers_at_most_a_fifth_of_a_600_by_420_embed(
        browser, live_server, jackson_run, artifacts):
    context, page = _open(browser, f"{live_server.url}/embed/circuit:MO-16?category=food",
                          {"width": 600, "height": 420})
    try:
        legend = page.locator("details.atlas-legend")
        box = legend.bounding_box()
        assert box is not None and box["width"] * box["height"] <= 0.2 * 600 * 420, box
        page.screenshot(path=str(artifacts / "screen-embed-600x420.png"))
        legend.locator("summary").click()
        assert legend.get_attribute("open") is None
    finally:
        context.close()


def test_embed_builder_starts_on_the_state_and_gives_a_responsive_snippet_in_plain_words(client):
    page = client.get("/embed").text
    assert page.index('<option value="state:MO" selected>') < page.index("Barnstable")  # Missouri first, whole
    assert "<main>" in page and "ATLAS_" not in page
    assert "width=&#34;100%&#34;" in page and "aspect-ratio:600/420" in page
    assert "ask the administrator" in page or "Any website may show this map" in page
    test_page = client.get("/embed?region=circuit:MO-16&download=page")
    assert "attachment" in test_page.headers["content-disposition"]
    assert "If the frame below is empty" in test_page.text and '<iframe src="http://testserver/embed/circuit:MO-16"' in test_page.text


def test_report_defines_reach_in_miles_has_a_map_and_one_number_per_fact(browser, live_server, jackson_run, artifacts):
    context, page = _open(browser, f"{live_server.url}/report/circuit:MO-16", DESKTOP)
    try:
        text = page.locator("main").inner_text()
        assert "H3" not in text and "resolution" not in text and "cells of about 5 km²" in page.inner_text("header")
        assert "beyond reach" in text and " mi / " in text
        assert page.locator("figure.map svg path").count() == 1  # Jackson County
        summary = {row.get_attribute("data-category"): row.locator("td").first.inner_text()
                   for row in page.locator("table.summary tbody tr").all()}
        matrix = {row.locator("th").inner_text(): row.locator("td").first.inner_text().split(" / ")[0]
                  for row in page.locator("table.matrix tbody tr").all()}
        names = {row.get_attribute("data-category"): row.locator("th").inner_text()
                 for row in page.locator("table.summary tbody tr").all()}
        assert summary and all(matrix[names[c]] == people for c, people in summary.items())
    finally:
        context.close()
