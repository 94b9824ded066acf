"""The /map legend in Debian's Chromium: on a 390×844 phone it starts folded to one "Legend"
button, so a family or planner sees the map (it used to cover half of it), and opens by keyboard
to the full classes without covering the filters or the layer list; on a desktop it is open as
before; printed, it is open. axe-core finds nothing either way. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.pages.axe import axe_violations, describe

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MAP = "/map?state=MO&category=food"
DESERT_CLASSES = ["No one beyond reach", "1–25 people beyond reach", "26–100 people", "101–500 people",
                  "More than 500 people"]
BOXES = """selectors => selectors.map(s => {
    const e = document.querySelector(s);
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height};
})"""


# Layout shifts of the legend from the first paint on (a legend painted open, then folded, moves),
# recorded by a script the browser runs before the page's own (the page's CSP does not govern it).
SHIFTS = """window.legendShifts = [];
new PerformanceObserver(list => list.getEntries().forEach(e => e.sources.forEach(s => {
    if (s.node && s.node.closest && s.node.closest('.atlas-legend')) window.legendShifts.push(e.value);
}))).observe({type: 'layout-shift', buffered: true});"""


def _open(browser, url: str, viewport: dict):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport, is_mobile=viewport == PHONE)  # a phone's 980 px start
    context.add_init_script(SHIFTS)
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.locator("body[data-atlas-loaded]").wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # tiles and clusters are drawn just after the data arrives
    return context, page


def _boxes(page, *selectors: str) -> list[dict]:  # type: ignore[no-untyped-def]
    boxes = page.evaluate(BOXES, list(selectors))
    assert all(boxes), dict(zip(selectors, boxes, strict=True))
    return boxes


def _overlap(a: dict, b: dict) -> float:
    """The area two boxes share, in px²."""
    width = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    height = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(width, 0) * max(height, 0)


def _desert_classes(page) -> list[str]:  # type: ignore[no-untyped-def]
    texts = page.locator('.atlas-legend li[data-layer="deserts"] .classes li').all_inner_texts()
    return [t.split(" (")[0].strip() for t in texts]


def test_phone_legend_starts_folded_and_leaves_the_map_and_its_controls_uncovered(browser, live_server, artifacts):
    context, page = _open(browser, live_server.url + MAP, PHONE)
    try:
        legend = page.locator("details.atlas-legend")
        assert legend.get_attribute("open") is None
        assert page.evaluate("window.legendShifts") == [], "the legend was drawn open, then folded"
        box, map_box, layers, filters, zoom, scale = _boxes(
            page, ".atlas-legend", ".folium-map", ".leaflet-control-layers", ".atlas-filters",
            ".leaflet-control-zoom", ".leaflet-control-scale")
        share = box["width"] * box["height"] / (map_box["width"] * map_box["height"])
        assert share <= 0.25, f"the folded legend covers {share:.0%} of the map"
        for name, control in {"layers": layers, "filters": filters, "zoom": zoom, "scale": scale}.items():
            assert _overlap(box, control) == 0, name
        assert _overlap(filters, layers) == 0, "the filters cover the layer button"
        assert page.locator(".atlas-legend > summary").inner_text().strip() == "Legend"
        page.screenshot(path=str(artifacts / "screen-map-legend-phone-folded.png"))
        violations = axe_violations(page)
        assert violations == [], describe(violations)

        page.locator(".atlas-legend > summary").click()
        assert legend.get_attribute("open") is not None
        assert _desert_classes(page) == DESERT_CLASSES
        assert "SAMPLE DATA" in legend.inner_text()
        box, layers, filters = _boxes(page, ".atlas-legend", ".leaflet-control-layers", ".atlas-filters")
        assert _overlap(box, layers) == 0 and _overlap(box, filters) == 0
        page.screenshot(path=str(artifacts / "screen-map-legend-phone-open.png"))
        violations = axe_violations(page)
        assert violations == [], describe(violations)
        # The layer list, opened over an opened legend (on a shorter screen they meet), lies above it.
        page.set_viewport_size({"width": 390, "height": 600})
        toggle = _boxes(page, ".leaflet-control-layers-toggle")[0]  # Leaflet opens the list on hover or tap
        page.mouse.move(toggle["x"] + toggle["width"] / 2, toggle["y"] + toggle["height"] / 2)
        page.locator(".leaflet-control-layers-expanded").wait_for()
        list_box = _boxes(page, ".leaflet-control-layers-list")[0]
        x, y = list_box["x"] + list_box["width"] / 2, list_box["y"] + list_box["height"] - 4
        box = _boxes(page, ".atlas-legend")[0]
        assert box["y"] < y < box["y"] + box["height"], (box, list_box)  # the two meet there
        assert page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('.leaflet-control-layers')",
                             [x, y]), "the legend covers the opened layer list"
        # So does the filter panel, opened: its last control can be reached.
        page.mouse.move(10, 300)
        page.locator(".atlas-filters > summary").click()
        show = _boxes(page, ".atlas-filters .links")[0]
        x, y = show["x"] + 20, show["y"] + show["height"] / 2
        box = _boxes(page, ".atlas-legend")[0]
        assert box["y"] < y < box["y"] + box["height"], (box, show)
        assert page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('.atlas-filters')",
                             [x, y]), "the legend covers the opened filters"
        page.screenshot(path=str(artifacts / "screen-map-legend-phone-filters-open.png"))
    finally:
        context.close()


def test_phone_legend_opens_and_folds_from_the_keyboard(browser, live_server, artifacts):
    context, page = _open(browser, live_server.url + MAP, PHONE)
    try:
        for _ in range(80):  # zoom buttons, layer button, map, clusters … then the legend
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('.atlas-legend > summary')"):
                break
        else:
            pytest.fail("Tab never reaches the legend")
        page.keyboard.press("Enter")
        legend = page.locator("details.atlas-legend")
        assert legend.get_attribute("open") is not None
        assert _desert_classes(page) == DESERT_CLASSES
        assert page.locator('.atlas-legend li[data-layer="deserts"] .classes').is_visible()
        page.screenshot(path=str(artifacts / "screen-map-legend-phone-keyboard.png"))
        page.keyboard.press("Space")
        assert legend.get_attribute("open") is None
        assert not page.locator('.atlas-legend li[data-layer="deserts"] .classes').is_visible()
    finally:
        context.close()


def test_desktop_legend_is_open_and_clear_of_the_filters(browser, live_server, artifacts):
    context, page = _open(browser, live_server.url + MAP, DESKTOP)
    try:
        assert page.locator("details.atlas-legend").get_attribute("open") is not None
        assert _desert_classes(page) == DESERT_CLASSES
        box, layers, filters, scale = _boxes(page, ".atlas-legend", ".leaflet-control-layers", ".atlas-filters",
                                             ".leaflet-control-scale")
        assert _overlap(box, layers) == 0 and _overlap(box, filters) == 0 and _overlap(box, scale) == 0
        page.screenshot(path=str(artifacts / "screen-map-legend-desktop.png"))
        violations = axe_violations(page)
        assert violations == [], describe(violations)
    finally:
        context.close()


def test_a_folded_legend_prints_open(browser, live_server):
    context, page = _open(browser, live_server.url + MAP, PHONE)
    try:
        legend = page.locator("details.atlas-legend")
        classes = page.locator('.atlas-legend li[data-layer="deserts"] .classes')
        assert legend.get_attribute("open") is None and not classes.is_visible()
        page.emulate_media(media="print")  # the stylesheet alone shows it (a browser with no beforeprint)
        assert classes.is_visible() and _desert_classes(page) == DESERT_CLASSES
        page.emulate_media(media="screen")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # and the page opens it
        assert legend.get_attribute("open") is not None
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")  # then folds it back
        assert legend.get_attribute("open") is None
    finally:
        context.close()
