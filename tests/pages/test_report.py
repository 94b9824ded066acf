"""/report/{region} in Debian's Chromium: a region's gaps as tables that agree with /api/gaps and
/api/rollups, one landscape page per table when printed, and no script allowed on the page."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser


def test_report_tables_agree_with_the_api_and_print_one_table_per_page(
        page, live_server, st_louis_food_run, artifacts):
    gaps = httpx.get(f"{live_server.url}/api/gaps", params={"region": "circuit:MO-22"}).json()
    food = gaps["matrix"]["food"]
    response = page.goto(f"{live_server.url}/report/circuit:MO-22")
    assert response is not None and response.status == 200
    assert "script-src 'none'" in response.headers["content-security-policy"]
    assert page.locator("h1").inner_text() == "22nd Judicial Circuit"
    assert page.get_by_role("note").inner_text().startswith("Services shown are SAMPLE DATA")
    row = page.locator("table.summary tr[data-category=food]")
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == f"{food['all']['population_uncovered']:,.0f}"
    assert cells[1] == f"{100 * food['all']['share_uncovered']:.0f} %" and cells[3] == str(food["all"]["services"])
    stages = page.locator("table.matrix thead th").all_inner_texts()[1:]
    assert len(stages) == len(gaps["stages"]) and stages[0] == "Any stage"
    court = gaps["stages"].index("court")
    cell = page.locator("table.matrix tbody tr").first.locator("td").nth(court).inner_text()
    assert cell == f"{food['court']['population_uncovered']:,.0f} / {food['court']['services']}"
    counties = page.locator("table.counties tbody tr")
    assert counties.count() == 1 and counties.first.locator("th").inner_text() == "St. Louis city"
    page.screenshot(path=str(artifacts / "report-screen.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("form").is_visible() and not page.locator("a[href^='/map']").is_visible()
    breaks = page.locator("section").evaluate_all("els => els.map(e => getComputedStyle(e).breakBefore)")
    assert breaks == ["auto", "page", "page", "page"]  # by kind of help, by stage, by county, freshness
    fresh = page.locator("#freshness + p + table tbody tr").first.locator("td").all_inner_texts()
    assert fresh[0].isdigit() and fresh[2].isdigit()  # the circuit's listings, verified and open reports
    page.pdf(path=str(artifacts / "report.pdf"), landscape=True)


def test_report_without_results_or_with_a_bad_region_says_what_to_do(live_server):
    none = httpx.get(f"{live_server.url}/report/circuit:MO-1")
    assert none.status_code == 404 and "atlas deserts compute --region circuit:MO-1" in none.json()["detail"]
    bad = httpx.get(f"{live_server.url}/report/MO-1")
    assert bad.status_code == 400 and "use kind:code" in bad.json()["detail"]


def test_report_for_a_category_it_does_not_know_says_so(live_server, st_louis_food_run):
    bad = httpx.get(f"{live_server.url}/report/circuit:MO-22", params={"category": "astrology"})
    assert bad.status_code == 400 and "unknown category 'astrology'" in bad.json()["detail"]
    missing = httpx.get(f"{live_server.url}/report/circuit:MO-22", params={"category": "legal-aid"})
    assert missing.status_code == 404 and "--category legal-aid" in missing.json()["detail"]
