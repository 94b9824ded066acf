"""Report a problem from /find on a phone (390×844), in Spanish, in Debian's Chromium: with
JavaScript the report is sent in place; without it the same form posts to /problem/{id}. Either way
the text comes back as text, the listing says when it was verified, and nothing locates the reporter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from service.pages_problem import MONTH_NAMES

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TEXT = '<img src=x onerror="document.title=\'pwned\'">El teléfono <b>no</b> contesta'


@pytest.fixture
def verified_jackson(committed_conn) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Jackson County's listings (Kansas City) verified today, put back afterwards."""
    c = committed_conn
    ids = [r["id"] for r in c.execute(
        """SELECT DISTINCT sal.service_id AS id FROM service_at_location sal JOIN location l ON l.id = sal.location_id
           JOIN service s ON s.id = sal.service_id WHERE l.county_fips = '29095' AND s.assured_date IS NULL""")]
    c.execute("DELETE FROM report_bucket")
    c.execute("UPDATE service SET assured_date = current_date WHERE id = ANY(%s)", [ids])
    try:
        yield
    finally:
        c.execute("DELETE FROM problem_report WHERE service_id = ANY(%s)", [ids])
        c.execute("UPDATE service SET assured_date = NULL WHERE id = ANY(%s)", [ids])
        c.execute("DELETE FROM report_bucket")


def _search_kansas_city(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/find?lang=es")
    page.get_by_label("Código postal, ciudad o dirección").fill("64106")
    page.get_by_role("button", name="Buscar", exact=True).click()
    page.wait_for_selector("li.result")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_report_a_problem_from_find_on_a_phone_in_spanish(browser, live_server, committed_conn, artifacts,
                                                          verified_jackson, javascript):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _search_kansas_city(page, live_server.url)
        first = page.locator("li.result").first
        month = MONTH_NAMES["es"][date.today().month - 1]
        assert first.locator("p.verified").inner_text() == f"Verificado en {month} de {date.today().year}"
        service_id = first.locator("form.problem-form").get_attribute("data-service-id")
        first.get_by_text("Informar un problema con este servicio").click()
        first.get_by_label("El horario es incorrecto").check()
        first.get_by_label("¿Qué está mal? (opcional)").fill(TEXT)
        assert first.get_by_role("button", name="Enviar informe").is_visible()
        first.get_by_role("button", name="Enviar informe").click()
        if javascript:
            status = first.locator(".problem-status")
            status.wait_for()
            page.wait_for_function("document.querySelector('form.problem-form[data-sent]') !== null")
            assert "Gracias" in status.inner_text() and page.url.endswith("/find?lang=es")
        else:
            page.wait_for_url("**/problem/**")
            assert "Gracias" in page.inner_text("main") and "El horario es incorrecto" in page.inner_text("main")
            assert page.locator(".problem-text").inner_text() == TEXT  # the markup typed, shown as text
            # The page around the form is Spanish too, down to the language links' label.
            assert page.get_by_role("navigation", name="Idioma").is_visible()
            assert page.get_by_role("link", name="English").get_attribute("href") == f"/problem/{service_id}?lang=en"
        assert page.locator("img[src=x]").count() == 0 and page.title() != "pwned"
        assert context.cookies() == []
        page.screenshot(path=str(artifacts / f"report-problem-es-{'js' if javascript else 'nojs'}.png"), full_page=True)
    finally:
        context.close()
    row = committed_conn.execute(
        "SELECT kind, text, lang, contact FROM problem_report WHERE service_id = %s ORDER BY id DESC LIMIT 1",
        [service_id]).fetchone()
    assert row == {"kind": "wrong_hours", "text": TEXT, "lang": "es", "contact": None}
