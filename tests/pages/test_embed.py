"""The embed in Debian's Chromium, framed by a court's page on another origin: it draws its layers
without basemap tiles, its layer toggle works, user text stays text, and only allowed sites can
frame it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def embed_frame(page, host_url: str):  # type: ignore[no-untyped-def]
    page.goto(host_url)
    frame = page.frame_locator("#atlas")
    frame.locator("body[data-atlas-loaded]").wait_for(timeout=20_000)
    return frame, page.frames[1]


def test_embed_inside_a_court_page_on_another_origin_draws_boundaries_and_services(
        page, live_server, third_party_site, artifacts):
    host = third_party_site.page_embedding("st-louis.html", f"{live_server.url}/embed/circuit:MO-21")
    frame, inner = embed_frame(page, host)
    loaded = json.loads(frame.locator("body").get_attribute("data-atlas-loaded") or "{}")
    assert loaded["counties"] == 1 and loaded["courts"] == 1 and loaded["services"] > 20
    assert loaded["deserts"] == 0  # no desert results in the test database: an empty layer, with a note
    assert "no desert results computed yet" in frame.locator(".atlas-legend").inner_text()
    assert frame.locator(".leaflet-overlay-pane canvas").count() >= 1  # boundaries, without basemap tiles
    frame.locator(".marker-cluster").first.wait_for()
    full_link = frame.locator("a.atlas-full-link")
    assert full_link.get_attribute("target") == "_blank" and "/map?" in (full_link.get_attribute("href") or "")
    assert page.context.cookies() == []  # the embed sets no cookies
    page.screenshot(path=str(artifacts / "embed-in-court-page.png"))
    assert inner.url.startswith(live_server.url) and not page.url.startswith(live_server.url)


def test_layer_toggle_hides_and_shows_services(page, live_server, third_party_site, artifacts):
    host = third_party_site.page_embedding("toggle.html", f"{live_server.url}/embed/circuit:MO-21?basemap=false")
    frame, _ = embed_frame(page, host)
    clusters = frame.locator(".marker-cluster")
    clusters.first.wait_for()  # clusters are added in chunks, just after the data arrives
    page.wait_for_timeout(300)
    before = clusters.count()
    frame.locator(".leaflet-control-layers").hover()
    services = frame.locator(".leaflet-control-layers-overlays label", has_text="Services").locator("input")
    services.uncheck()
    expect(clusters).to_have_count(0)
    assert frame.locator(".leaflet-overlay-pane canvas").count() >= 1  # boundaries stay
    page.screenshot(path=str(artifacts / "embed-services-hidden.png"))
    services.check()
    expect(clusters).to_have_count(before)


def test_a_service_named_with_script_payloads_shows_as_text_and_runs_nothing(
        page, live_server, third_party_site, xss_service, artifacts):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    host = third_party_site.page_embedding("xss.html", f"{live_server.url}/embed/county:29019?basemap=false")
    frame, inner = embed_frame(page, host)
    opened = inner.evaluate(
        """(id) => new Promise((done) => {
             const group = AtlasMap.layers.services;
             const marker = group.getLayers().find((m) => m.feature.properties.id === id);
             if (!marker) return done(false);
             group.zoomToShowLayer(marker, () => { marker.fire("click", {latlng: marker.getLatLng()}, true); done(true); });
           })""", xss_service["id"])
    assert opened
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert xss_service["name"] in text and xss_service["organization"] in text  # shown as text
    assert popup.locator("img, script").count() == 0
    report = popup.get_by_role("link", name="Report a problem with this listing")
    assert report.get_attribute("href") == f"/problem/{xss_service['id']}"  # the id only, never a place
    assert report.get_attribute("target") == "_blank"  # the court's page stays where it is
    page.wait_for_timeout(300)
    assert inner.evaluate("window.__xss") is None and page.evaluate("window.__xss") is None
    assert dialogs == []
    page.screenshot(path=str(artifacts / "embed-xss-popup.png"))


def test_only_allowed_sites_may_frame_the_embed(page, settings, artifacts, third_party_site):
    server = LiveServer(settings, artifacts, extra_env={"ATLAS_EMBED_ALLOWED_ORIGINS": "https://courts.example.gov"})
    try:
        host = third_party_site.page_embedding("not-allowed.html", f"{server.url}/embed/circuit:MO-13")
        responses = []
        page.on("response", lambda r: responses.append(r) if "/embed/" in r.url else None)
        page.goto(host)
        page.wait_for_timeout(1500)
        assert responses and "frame-ancestors 'self' https://courts.example.gov" in \
            responses[0].headers["content-security-policy"]
        assert page.frame_locator("#atlas").locator("body[data-atlas-loaded]").count() == 0
        page.screenshot(path=str(artifacts / "embed-refused.png"))
        direct = page.context.new_page()  # the same page opened directly still works
        direct.goto(f"{server.url}/embed/circuit:MO-13")
        direct.wait_for_selector("body[data-atlas-loaded]", timeout=20_000)
    finally:
        server.stop()


def test_embed_builder_previews_the_embed_and_offers_the_snippet(page, live_server, artifacts):
    page.goto(f"{live_server.url}/embed?region=circuit:MO-13&category=food&width=500&height=400")
    snippet = page.locator("#snippet").input_value()
    assert snippet.startswith("<iframe src=\"") and "/embed/circuit:MO-13?category=food" in snippet
    assert 'width="100%"' in snippet and "aspect-ratio:500/400" in snippet  # as wide as its column, this shape
    frame = page.frame_locator(".preview iframe")
    frame.locator("body[data-atlas-loaded]").wait_for(timeout=20_000)
    page.screenshot(path=str(artifacts / "embed-builder.png"), full_page=True)


# Pixels of the overlay canvas in the desert classes' colours: warm (yellow to red) or the pale
# neutral of "no one beyond reach", not the blue boundaries.
WARM_PIXELS = """() => {
    const c = document.querySelector('.leaflet-overlay-pane canvas');
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 0 && (r > b + 60 || (r > 190 && g > 190 && b > 190))) n++;
    }
    return n;
}"""


def test_embed_draws_a_circuits_desert_cells_with_their_classes_in_the_legend(
        page, live_server, third_party_site, st_louis_food_run, committed_conn, artifacts):
    cells = committed_conn.execute("SELECT count(*) AS n FROM desert_cell WHERE run_id = %s",
                                   [st_louis_food_run]).fetchone()["n"]
    host = third_party_site.page_embedding(
        "st-louis-city.html", f"{live_server.url}/embed/circuit:MO-22?category=food&basemap=false")
    frame, inner = embed_frame(page, host)
    loaded = json.loads(frame.locator("body").get_attribute("data-atlas-loaded") or "{}")
    assert loaded["deserts"] == cells > 10
    legend = frame.locator('.atlas-legend li[data-layer="deserts"]')
    counts = [int(t.rsplit("(", 1)[1].rstrip(")").replace(",", ""))
              for t in legend.locator("ul.classes li").all_inner_texts()]
    assert len(counts) >= 2 and sum(counts) == cells
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "embed-desert-cells.png"))
    # The cells fill the city; without them only its outline and the services are drawn.
    with_cells = inner.evaluate(WARM_PIXELS)
    frame.locator(".leaflet-control-layers").hover()
    frame.locator(".leaflet-control-layers-overlays label", has_text="Service deserts").locator("input").uncheck()
    page.wait_for_timeout(300)
    assert with_cells > 10_000 and inner.evaluate(WARM_PIXELS) < 0.1 * with_cells
