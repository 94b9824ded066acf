"""/progress and a report with an action plan in Debian's Chromium, on a phone (390×844) and a
desktop: the statewide map of circuits by workshop step agrees with the API, the report shows
barriers, priorities "then → now" and the plan, user text stays text, and axe finds nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from geo.keys import create_key
from geo.workshops import write
from geo.workshops.schemas import (
    ActionItemIn,
    ActionUpdateIn,
    BarrierIn,
    CellRef,
    PriorityIn,
    WorkshopIn,
)
from tests.pages.axe import axe_violations, describe

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="window.__xss=1">Sample: <script>window.__xss=2</script>'
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def st_louis_plan(committed_conn, st_louis_food_run) -> Iterator[int]:
    """A published workshop for the 22nd Circuit whose user text is script payloads, with a priority
    frozen from the fixture's desert run; removed afterwards with its audit rows and key."""
    c = committed_conn
    key, _ = create_key(c, "test progress editor", "editor", ["MO-22"])
    lead = c.execute("SELECT id FROM organization WHERE is_sample ORDER BY id LIMIT 1").fetchone()
    workshop_id = write.create_workshop(c, key, WorkshopIn(
        region="circuit:MO-22", title=f"22nd Circuit workshop {XSS}", status="follow_up",
        held_on=date(2026, 1, 14), next_meeting_on=date(2026, 4, 15), published=True, notes=XSS,
        sectors={"child-welfare": 14, "courts": 8, "lived-experience": 6}))
    try:
        write.add_barrier(c, key, workshop_id, BarrierIn(kind="transportation", description=XSS,
                                                         category="food", counties=["29510"]))
        priority = write.add_priority(c, key, workshop_id, PriorityIn(
            title=f"Food within reach {XSS}", cells=[CellRef(category="food"), CellRef(category="food",
                                                                                        stage="prevention")]))
        item = write.add_action(c, key, workshop_id, ActionItemIn(
            what=XSS, priority_id=priority, lead_organization_id=lead["id"], partners=[XSS, "Schools"],
            due_on=date(2026, 6, 30)))
        write.add_update(c, key, workshop_id, item, ActionUpdateIn(quarter="2026-Q1", body=XSS, status="in_progress"))
        yield workshop_id
    finally:
        c.execute("DELETE FROM workshop WHERE id = %s", [workshop_id])
        c.execute("DELETE FROM audit_log WHERE key_id = %s", [key.id])
        c.execute("DELETE FROM api_key WHERE id = %s", [key.id])


def _no_script_ran(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img, .workshop script").count() == 0


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_report_shows_the_plan_with_gaps_then_and_now(browser, live_server, st_louis_plan, artifacts, name,
                                                      viewport):
    plan = httpx.get(f"{live_server.url}/api/workshops/{st_louis_plan}").json()
    context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
    page = context.new_page()
    try:
        response = page.goto(f"{live_server.url}/report/circuit:MO-22")
        assert response is not None and response.status == 200
        section = page.locator("section.workshop")
        assert section.locator("h2").inner_text() == f"From gaps to action: 22nd Circuit workshop {XSS}"
        assert section.locator(".barriers li .user-text").inner_text() == XSS
        rows = section.locator("table.priorities tbody tr")
        assert rows.count() == 2
        cell = next(c for c in plan["priorities"][0]["cells"] if c["stage"] == "all")
        then_now = f"{cell['then']['population_uncovered']:,.0f} → {cell['now']['population_uncovered']:,.0f}"
        assert then_now in rows.locator("td.then-now").all_inner_texts()
        item = section.locator("table.actions tbody tr").first
        assert item.locator("th").inner_text() == XSS
        assert item.locator("td").nth(0).inner_text() == plan["actions"][0]["lead_organization"]
        assert item.locator("td").nth(4).inner_text() == f"2026-Q1: {XSS}"
        assert section.locator(".notes").inner_text() == XSS
        _no_script_ran(page)
        widest = section.evaluate("s => Math.max(...[s, ...s.querySelectorAll('h2, p, li, table')].map("
                                  "e => e.getBoundingClientRect().right))")
        assert widest <= viewport["width"], "the workshop part must fit the screen (wide tables scroll inside)"
        page.screenshot(path=str(artifacts / f"report-plan-{name}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_progress_map_counts_circuits_by_workshop_step(browser, live_server, st_louis_plan, artifacts, name,
                                                       viewport):
    facts = httpx.get(f"{live_server.url}/api/workshops/progress", params={"state": "MO"}).json()
    context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
    page = context.new_page()
    try:
        response = page.goto(f"{live_server.url}/progress?state=MO")
        assert response is not None and response.status == 200
        assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector("body[data-atlas-loaded]")
        assert json.loads(page.get_attribute("body", "data-atlas-loaded") or "{}") == {"workshops": 46}
        assert page.locator("h1").inner_text() == facts["headline"]
        assert facts["by_status"]["follow_up"] >= 1
        if name == "phone":  # the legend starts folded on a phone: open it as a reader would
            assert page.locator("details.atlas-legend").get_attribute("open") is None
            page.locator(".atlas-legend > summary").click()
        legend = page.locator('.atlas-legend li[data-layer="workshops"] .classes li').all_inner_texts()
        assert f"Meeting quarterly ({facts['by_status']['follow_up']})" in legend
        assert f"No workshop yet ({facts['by_status']['none']})" in legend
        page.locator(".progress-panel details summary").first.click()
        row = page.locator(".progress-regions tr", has_text="22nd Judicial Circuit")
        assert row.locator("td").first.inner_text() == "Meeting quarterly"
        assert row.locator("a").get_attribute("href") == "/report/circuit:MO-22"
        page.screenshot(path=str(artifacts / f"progress-{name}.png"))
        # Every link of the panel can be tapped: nothing of the map (its scale, once) lies over it.
        covered = page.evaluate("""() => [...document.querySelectorAll('.progress-panel > p a')].filter(a => {
            a.scrollIntoView({block: 'nearest'});
            const r = a.getBoundingClientRect();
            const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return !(top && a.contains(top)); }).map(a => a.textContent)""")
        assert covered == []
        violations = axe_violations(page)
        assert violations == [], describe(violations)
    finally:
        context.close()


def test_progress_embeds_on_another_site(page, live_server, third_party_site, artifacts):
    response = httpx.get(f"{live_server.url}/embed/progress", params={"state": "MA"})
    assert response.status_code == 200 and response.headers["content-security-policy"].endswith("frame-ancestors *")
    court = third_party_site.page_embedding("progress.html", f"{live_server.url}/embed/progress?state=MA")
    page.goto(court)
    frame = page.frame_locator("#atlas")
    frame.locator("body[data-atlas-loaded]").wait_for()
    assert "of 11 divisions have held their workshop" in frame.locator(".atlas-legend").inner_text()
    page.screenshot(path=str(artifacts / "progress-embed.png"))
