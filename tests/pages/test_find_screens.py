"""/find on real screens, in Debian's Chromium: a 390×844 phone and a desktop. axe-core runs on the
form, results, an error and the Spanish page with their CSP in force; the results heading is in
view after a search; Back after "Next page" shows the earlier results with no resubmission; a list
a caseworker shares holds service ids only. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.pages.axe import axe_violations, describe

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


def _search(page, live_server, near: str, lang: str = "en", **select: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/find?lang={lang}")
    page.locator("#near").fill(near)
    for field, value in select.items():
        page.locator(f"#{field}").select_option(value)
    page.locator("button.primary").click()
    page.wait_for_selector("body[data-find-ready]", timeout=30_000)


def _in_view(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return bool(box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]
                and box["x"] >= 0 and box["x"] + box["width"] <= size["width"])


def _clean(page) -> None:  # type: ignore[no-untyped-def]
    violations = axe_violations(page)
    assert violations == [], describe(violations)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_form_results_error_and_spanish_have_no_axe_violations(browser, live_server, artifacts, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    name = "phone" if viewport is PHONE else "desktop"
    try:
        page.goto(f"{live_server.url}/find")
        _clean(page)
        page.screenshot(path=str(artifacts / f"find-form-{name}.png"), full_page=True)
        _search(page, live_server, "64106")
        _clean(page)
        page.screenshot(path=str(artifacts / f"find-results-{name}.png"))
        _search(page, live_server, "90210")
        _clean(page)
        page.screenshot(path=str(artifacts / f"find-error-{name}.png"))
        page.goto(f"{live_server.url}/find?lang=es")
        _clean(page)
        _search(page, live_server, "Kansas City", lang="es")
        _clean(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # no sideways scroll
        page.screenshot(path=str(artifacts / f"find-results-es-{name}.png"))
    finally:
        context.close()


def test_after_a_search_on_a_phone_the_heading_is_in_view_and_the_list_comes_before_the_map(phone, live_server):
    _search(phone, live_server, "64106")
    heading = phone.locator("#results-heading")
    assert re.fullmatch(r"[\d,]+ services found", heading.inner_text())
    assert _in_view(phone, "#results-heading")
    assert phone.evaluate("document.activeElement.id") == "results-heading"
    note = phone.locator(".origin-note").inner_text()
    assert "centre of ZIP 64106" in note and "approximate" in note
    assert phone.locator("li.result .distance >> nth=0").inner_text().startswith("about ")
    # Tab from the heading: the first result's phone link comes before anything on the map.
    phone.keyboard.press("Tab")
    order = []
    for _ in range(8):
        order.append(phone.evaluate("document.activeElement.className + '|' + document.activeElement.tagName"))
        phone.keyboard.press("Tab")
    first_tel = next(i for i, o in enumerate(order) if o.startswith("tel|"))
    assert not any("leaflet" in o for o in order[:first_tel]), order
    # Nothing scrolls sideways; phone links are a finger's height, and each number on one line.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for link in phone.locator("a.tel").all()[:10]:
        box = link.bounding_box()
        assert box and box["height"] >= 44
        assert link.evaluate("a => a.getClientRects().length") == 1
        assert link.evaluate("a => a.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(a).lineHeight) + 24")


def test_skip_link_goes_to_the_results(page, live_server):
    _search(page, live_server, "65201")
    skip = page.locator("a.skip")
    assert skip.get_attribute("href") == "#results-heading" and skip.inner_text() == "Skip to results"
    skip.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "results-heading"


def test_back_after_next_page_shows_the_earlier_results_without_resubmitting(phone, live_server, artifacts):
    failed: list[str] = []
    phone.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    _search(phone, live_server, "64106")
    first = phone.locator("li.result h3 >> nth=0").inner_text()
    url = phone.url
    phone.get_by_role("button", name="Next page").click()
    phone.wait_for_selector("body[data-find-ready]", timeout=30_000)
    assert phone.locator("ol.results").get_attribute("start") == "21"
    assert phone.locator("li.result h3 >> nth=0").inner_text() != first
    assert _in_view(phone, "#results-heading")
    phone.go_back()
    phone.wait_for_selector("body[data-find-ready]", timeout=10_000)
    assert phone.locator("ol.results").get_attribute("start") == "1"
    assert phone.locator("li.result h3 >> nth=0").inner_text() == first
    phone.go_forward()
    phone.wait_for_selector("ol.results[start='21']", timeout=10_000)
    # The place typed is nowhere in the address bar or the history entries.
    assert phone.url == url and "64106" not in url
    assert "64106" not in str(phone.evaluate("history.state"))
    assert not [f for f in failed if "ERR_CACHE_MISS" in f], failed


def test_errors_are_plain_at_the_top_of_the_form_and_in_the_pages_language(phone, live_server, artifacts):
    _search(phone, live_server, "90210")
    alert = phone.get_by_role("alert")
    assert "We cover Massachusetts and Missouri" in alert.inner_text() and "California" in alert.inner_text()
    assert _in_view(phone, "#form-problem")
    assert phone.get_attribute("#near", "aria-invalid") == "true"
    phone.screenshot(path=str(artifacts / "find-error-90210-phone.png"))
    _search(phone, live_server, "Atlantis, ZZ", lang="es")
    text = phone.get_by_role("alert").inner_text()
    assert "No encontramos «Atlantis, ZZ»" in text and "código postal" in text
    _clean(phone)


def test_a_place_without_a_state_is_found_or_offered_as_choices(page, live_server):
    _search(page, live_server, "Kansas City")
    assert "centre of Kansas City, MO" in page.locator(".origin-note").inner_text()
    _search(page, live_server, "Saint Louis, Missouri")
    assert "centre of St. Louis, MO" in page.locator(".origin-note").inner_text()
    _search(page, live_server, "Springfield")
    assert "more than one" in page.get_by_role("alert").inner_text()
    page.get_by_role("button", name="Springfield, MA").click()
    page.wait_for_selector("#results-heading", timeout=30_000)
    assert "centre of Springfield, MA" in page.locator(".origin-note").inner_text()
    assert page.input_value("#near") == "Springfield, MA"
    _search(page, live_server, "1600 Main St, Kansas City, MO")
    assert "street address was not looked up" in page.locator(".origin-note").inner_text()


def test_spanish_results_name_languages_in_spanish(page, live_server):
    _search(page, live_server, "64106", lang="es", language="es")
    languages = page.locator("li.result >> nth=0").inner_text()
    assert "español" in languages and "Spanish" not in languages
    assert page.locator("#language option[value=es]").inner_text() == "Español"


def test_a_shared_list_holds_service_ids_only_and_prints_with_a_qr_code(page, live_server, artifacts):
    _search(page, live_server, "64106")
    names = page.locator("li.result h3").all_inner_texts()[:2]
    page.locator(".pick input >> nth=0").check()
    page.get_by_role("button", name="Next page").click()
    page.wait_for_selector("ol.results[start='21']", timeout=30_000)
    page.locator(".pick input >> nth=0").check()
    names.append(page.locator("li.result h3 >> nth=0").inner_text())
    assert page.locator("#list-count").inner_text() == "2"
    page.get_by_role("button", name=re.compile("Show my list")).click()
    page.wait_for_selector("#list-heading")
    url = urlparse(page.url)
    params = parse_qs(url.query)
    assert url.path == "/find/list" and set(params) == {"lang", "id"} and len(params["id"]) == 2
    assert all(re.fullmatch(r"[0-9a-f-]{36}", i) for i in params["id"])
    assert "64106" not in page.url and not re.search(r"-?\d+\.\d{3,}", page.url)
    listed = page.locator("li.result h2").all_inner_texts()
    assert listed == [names[0], names[2]]
    assert page.locator("#share-url").input_value() == page.url
    assert page.get_by_role("button", name="Copy link").is_visible()
    assert page.locator(".qr svg path").count() == 1
    _clean(page)
    page.screenshot(path=str(artifacts / "find-list-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    _clean(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts / "find-list-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.emulate_media(media="print")
    assert page.locator(".qr svg").is_visible() and not page.locator("#copy-button").is_visible()
    assert re.search(r"Printed on \w+ \d+, \d{4}", page.inner_text("main"))
    page.screenshot(path=str(artifacts / "find-list-print.png"), full_page=True)


def test_print_shows_the_search_and_the_date_without_a_focus_outline(page, live_server, artifacts):
    _search(page, live_server, "65201", category="food", radius_km="80")
    page.emulate_media(media="print")
    criteria = page.locator(".print-criteria")
    assert criteria.is_visible()
    text = criteria.inner_text()
    assert "65201" in text and "Food" in text and "80 km" in text and re.search(r"Printed on \w+ \d+, \d{4}", text)
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "none"
    assert not page.locator(".pick").first.is_visible()
    page.screenshot(path=str(artifacts / "find-print.png"), full_page=True)


def test_without_javascript_the_same_forms_search_page_and_choose(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/find")
        page.locator("#near").fill("Springfield")
        page.locator("button.primary").click()
        page.get_by_role("button", name="Springfield, MO").click()
        assert "centre of Springfield, MO" in page.locator(".origin-note").inner_text()
        page.get_by_role("button", name="Next page").click()
        assert page.locator("ol.results").get_attribute("start") == "21"
        assert "Springfield" not in page.url and page.context.cookies() == []
    finally:
        context.close()
