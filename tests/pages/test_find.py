"""/find in Debian's Chromium: search a ZIP, filter a category, results nearest first, a map drawn
from local Leaflet without basemap tiles, Spanish labels, no cookies, a printable view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.search_data import CASPER, ServiceSpec, add_services, remove_services

pytestmark = pytest.mark.browser


def test_find_a_zip_filter_a_category_and_see_results_by_distance(page, live_server, artifacts):
    external: list[str] = []
    page.on("request", lambda req: external.append(req.url) if not req.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/find")
    assert page.locator("main").count() == 1 and page.locator("header[role=banner]").count() == 1
    page.get_by_label("ZIP code, town or address").fill("65201")
    page.get_by_label("Kind of help").select_option("mental-health")
    page.get_by_label("Distance").select_option("80")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("body[data-find-ready]", timeout=20_000)
    results = page.locator("li.result")
    assert results.count() >= 3
    assert all(t == "Mental health" for t in page.locator("li.result p.categories").all_inner_texts())
    distances = [float(d) for d in results.evaluate_all(
        "els => els.map(e => e.dataset.distanceM).filter(d => d !== '')")]
    assert len(distances) >= 3 and distances == sorted(distances)
    assert "County" in page.inner_text("li.result >> nth=0")
    # The map draws one marker per located result, with no basemap reachable.
    markers = int(page.get_attribute("body", "data-find-ready") or "0")
    assert markers == len(distances) and page.locator("path.leaflet-interactive").count() == markers
    # The place typed never reaches the address bar; the page sets no cookies.
    assert "65201" not in page.url and page.context.cookies() == []
    page.screenshot(path=str(artifacts / "find-65201-mental-health.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("form#search-form").is_visible() and not page.locator("#map").is_visible()
    assert page.locator("li.result >> nth=0").is_visible()
    page.screenshot(path=str(artifacts / "find-65201-print.png"), full_page=True)
    assert all("tile.openstreetmap.org" in url for url in external), external


def test_find_in_spanish_with_keyboard_only(page, live_server):
    page.goto(f"{live_server.url}/find?lang=es")
    assert page.get_attribute("html", "lang") == "es"
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # English
    page.keyboard.press("Tab")  # Español
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "near"
    page.keyboard.type("Kansas City, MO")
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-find-ready]", timeout=20_000)
    assert "servicios encontrados" in page.inner_text("#results-heading")
    assert page.get_by_role("button", name="Imprimir estos resultados").is_visible()


def test_user_text_is_escaped_and_an_unknown_place_suggests_a_zip(page, live_server):
    page.goto(f"{live_server.url}/find")
    page.get_by_label("ZIP code, town or address").fill('<img src=x onerror="document.title=1">')
    page.get_by_role("button", name="Search").click()
    alert = page.get_by_role("alert")
    assert "ZIP" in alert.inner_text()
    assert page.locator("img[src=x]").count() == 0 and page.title() != "1"
    assert page.input_value("#near") == '<img src=x onerror="document.title=1">'


@pytest.fixture
def monthly_pantry(committed_conn) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A pantry in Casper, WY (no sample data near) open on monthly days in summer, whose schedule
    note is a script payload; committed for the server to see, removed afterwards."""
    rule = {"freq": "MONTHLY", "valid_from": "2026-06-01", "valid_to": "2026-08-31",
            "description": '<img src=x onerror="document.title=2">Bring ID'}
    ids = add_services(committed_conn, [ServiceSpec(
        "Sample: Monthly pantry", *CASPER, hours=[("2SA,-1FR", "10:00", "12:00", "America/Denver", rule)])])
    try:
        yield "Sample: Monthly pantry"
    finally:
        remove_services(committed_conn, ids)


def test_monthly_and_seasonal_hours_read_as_words_and_their_notes_as_text(page, live_server, monthly_pantry):
    page.goto(f"{live_server.url}/find")
    page.get_by_label("ZIP code, town or address").fill("82601")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("body[data-find-ready]", timeout=20_000)
    result = page.locator("li.result", has_text=monthly_pantry)
    assert '2nd Sat, last Fri 10:00–12:00 (Jun 1 – Aug 31) · <img src=x onerror="document.title=2">Bring ID' in (
        result.inner_text())
    assert page.locator("img[src=x]").count() == 0 and page.title() != "2"
    page.goto(f"{live_server.url}/find?lang=es")
    page.locator("#near").fill("82601")
    page.locator("#near").press("Enter")
    page.wait_for_selector("body[data-find-ready]", timeout=20_000)
    assert "2.º sáb, último vie 10:00–12:00 (1 jun – 31 ago)" in page.locator(
        "li.result", has_text=monthly_pantry).inner_text()
