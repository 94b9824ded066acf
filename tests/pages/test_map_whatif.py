"""A planner on /map asks "what if another service opened?" in Debian's Chromium on a 390×844
phone, by keyboard: a town typed is placed and answered with the same people the API counts, a
place it cannot find is said without losing what was there, a slow answer overtaken by a newer
question is dropped, a point picked on the map is answered, and the page stays axe-clean."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.pages.axe import axe_violations, describe

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
URL = "/map?region=circuit:MO-16&category=food"
TOWN = "Grandview, MO"  # in Jackson County, the 16th Circuit


def _api(page, base: str, changes: list[dict]) -> dict:  # type: ignore[no-untyped-def]
    r = page.request.post(f"{base}/api/deserts/what-if", data=json.dumps(
        {"region": "circuit:MO-16", "category": "food", "changes": changes}),
        headers={"Content-Type": "application/json"})
    assert r.ok, r.text()
    return r.json()


def _people(n: float) -> str:
    return f"{round(n):,} more people"


def test_a_town_typed_on_a_phone_is_answered_as_the_api_counts_it(browser, live_server, jackson_run, artifacts):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        assert page.goto(live_server.url + URL).status == 200
        page.locator("body[data-atlas-loaded]").wait_for(timeout=30_000)
        expected = _api(page, live_server.url, [{"action": "add", "near": TOWN}])
        assert expected["total"]["newly_within_reach"] > 0

        # Keyboard only: open the folded filters and the what-if panel, type a town, Enter.
        page.locator("details.atlas-filters > summary").focus()
        page.keyboard.press("Enter")
        page.locator("details.atlas-whatif > summary").focus()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == "near"
        page.keyboard.type(TOWN)
        page.keyboard.press("Enter")
        answer = page.locator(".whatif-answer")
        answer.locator("strong").wait_for(timeout=10_000)
        assert answer.locator("strong").inner_text() == _people(expected["total"]["newly_within_reach"])
        assert page.evaluate("document.activeElement.name") == "near"  # ready for the next place
        assert "The cells they bring within reach are shaded purple on the map." in answer.inner_text()
        page.locator(".whatif-per-county > summary").focus()  # per county, folded until asked for
        page.keyboard.press("Enter")
        first_county = expected["counties"][0]
        assert page.locator(".whatif-counties tbody th").first.inner_text() == first_county["name"]
        assert page.locator(".whatif-counties tbody td").first.inner_text() == f"{round(first_county['newly_within_reach']):,}"
        page.locator("input[name=near]").focus()
        assert page.locator(".whatif-sites li").inner_text().startswith(f"{TOWN} (its centre)")
        assert page.locator(".whatif-marker").count() == 1
        assert page.input_value("input[name=near]") == ""

        # A place it cannot find: said in plain words; the imagined service and its answer stay listed.
        page.keyboard.type("Xyzzyville, MO")
        page.keyboard.press("Enter")
        problem = page.locator(".whatif-problem")
        problem.wait_for(timeout=10_000)
        assert "Xyzzyville" in problem.inner_text() and "changes[" not in problem.inner_text()
        assert page.get_attribute("input[name=near]", "aria-invalid") == "true"
        assert page.locator(".whatif-sites li").count() == 1 and page.locator(".whatif-marker").count() == 1
        assert answer.locator("strong").inner_text() == _people(expected["total"]["newly_within_reach"])

        violations = axe_violations(page)
        page.screenshot(path=str(artifacts / "screen-map-whatif-phone.png"))
        assert violations == [], describe(violations)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Remove it by keyboard: the list, the marker and the answer go; focus returns to the field.
        page.fill("input[name=near]", "")
        page.locator(".whatif-sites button").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".whatif-sites li")).to_have_count(0)
        assert page.locator(".whatif-marker").count() == 0 and page.locator(".whatif-answer").inner_text() == ""
        assert page.evaluate("document.activeElement.name") == "near"
    finally:
        context.close()


def test_a_slow_answer_overtaken_by_a_newer_question_is_dropped_and_a_picked_point_is_answered(
        browser, live_server, jackson_run):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    # A slow network for the first question only: its answer arrives 2 s late, after the next one's.
    page.add_init_script("""(() => { const real = window.fetch; let first = true;
        window.fetch = (url, options) => {
            const answer = real(url, options);
            if (!String(url).includes('/what-if') || !first) return answer;
            first = false;
            return answer.then(r => new Promise(done => setTimeout(() => done(r), 2000)));
        }; })()""")
    try:
        assert page.goto(live_server.url + URL).status == 200
        page.locator("body[data-atlas-loaded]").wait_for(timeout=30_000)
        page.locator("details.atlas-filters > summary").click()
        page.locator("details.atlas-whatif > summary").click()
        page.fill("input[name=near]", TOWN)
        page.keyboard.press("Enter")  # slow: answered after the next question
        page.fill("input[name=near]", "Independence, MO")
        page.keyboard.press("Enter")
        page.locator(".whatif-answer strong").wait_for(timeout=10_000)
        page.wait_for_timeout(2500)  # the slow answer has arrived by now
        both = _api(page, live_server.url, [{"action": "add", "near": TOWN}, {"action": "add", "near": "Independence, MO"}])
        assert page.locator(".whatif-sites li").count() == 2
        assert page.locator(".whatif-answer strong").inner_text() == _people(both["total"]["newly_within_reach"])

        # Pick a point on the map: on a phone the panel folds out of the way, the next tap places a
        # third service there, and the panel opens again on the answer.
        pick = page.locator(".whatif-pick")
        pick.click()
        assert pick.get_attribute("aria-pressed") == "true"
        assert page.locator("details.atlas-filters").get_attribute("open") is None
        box = page.locator(".leaflet-container").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.6)
        expect(page.locator(".whatif-marker")).to_have_count(3, timeout=10_000)
        assert pick.get_attribute("aria-pressed") == "false"
        assert page.locator(".leaflet-popup").count() == 0
        assert page.locator("details.atlas-filters").get_attribute("open") is not None
        expect(page.locator(".whatif-answer")).to_contain_text("with these 3 imagined food services", timeout=10_000)
        assert page.locator(".whatif-answer strong").is_visible()
    finally:
        context.close()


def test_suggested_towns_are_those_where_to_finds_and_one_can_be_imagined(browser, live_server, jackson_run):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        assert page.goto(live_server.url + URL).status == 200
        page.locator("body[data-atlas-loaded]").wait_for(timeout=30_000)
        r = page.request.get(f"{live_server.url}/api/deserts/where-to?region=circuit:MO-16&category=food&k=2")
        assert r.ok, r.text()
        best = r.json()["sites"]
        assert len(best) == 2
        page.locator("details.atlas-filters > summary").click()
        page.locator("details.atlas-whatif > summary").click()
        page.locator("#whereto-k").focus()  # 2 is chosen to start with
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        items = page.locator(".whereto-sites li")
        expect(items).to_have_count(2, timeout=20_000)
        assert items.first.inner_text().startswith(f"{best[0]['name']}: {round(best[0]['newly_within_reach']):,} more people")
        items.first.locator("button").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".whatif-sites li")).to_have_count(1)
        assert page.locator(".whatif-sites li").inner_text().startswith(f"{best[0]['name']} (its centre)")
        # Imagined alone, the first suggestion brings in the people where-to said it would.
        expect(page.locator(".whatif-answer strong")).to_have_text(
            f"{round(best[0]['newly_within_reach']):,} more people", timeout=10_000)
        assert items.first.locator("button").is_disabled() and items.first.locator("button").inner_text() == "Added"
        page.locator(".whatif-sites button").click()  # removed: it may be added again
        expect(items.first.locator("button")).to_be_enabled()
    finally:
        context.close()
