"""A circuit embed with 10,000 services in headless Chromium: time until the map has drawn its
boundaries and clustered services, and bytes transferred; compared with a plain folium map that
puts one marker per service into the page."""

from __future__ import annotations

import html
import json
import shutil
import statistics
from dataclasses import dataclass

import folium

from bench.maps.load_bench_db import EMBED_CIRCUIT
from bench.maps.servers import OUT, ROOT, atlas_server, static_server
from geo.db import connect
from geo.scope import RegionRef, scope_info
from geo.service_map import service_map_geojson_text
from geo.settings import Settings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@dataclass
class PageRun:
    ms: float
    bytes: int
    features: int


def folium_marker_page(settings: Settings) -> tuple[str, int]:
    """The comparison: folium.Marker per service with an escaped tooltip (folium's popups need
    jQuery from a CDN, which this machine cannot reach), Leaflet served locally."""
    with connect(settings) as conn:
        info = scope_info(conn, RegionRef("circuit", EMBED_CIRCUIT))
        services = json.loads(service_map_geojson_text(conn, county_fips=info.county_fips))["features"]
    m = folium.Map(tiles=None, prefer_canvas=True)
    m.default_js = [("leaflet", "static/vendor/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", "static/vendor/leaflet/leaflet.css")]
    m.fit_bounds([[info.bounds[1], info.bounds[0]], [info.bounds[3], info.bounds[2]]])
    for f in services:
        lon, lat = f["geometry"]["coordinates"]
        p = f["properties"]
        folium.Marker([lat, lon], tooltip=html.escape(f"{p['name']} — {p['organization']}")).add_to(m)
    site = OUT / "folium-site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(ROOT / "service" / "static" / "vendor", site / "static" / "vendor")
    m.save(str(site / "markers.html"))
    return "markers.html", len(services)


def measure(browser, url: str, ready_js: str, runs: int) -> list[PageRun]:  # type: ignore[no-untyped-def]
    """Cold-cache loads: ms from navigation start until `ready_js` is true, and bytes received."""
    results = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 900, "height": 600})
        page = context.new_page()
        # Basemap tiles are outside this machine; abort them like an offline court intranet would.
        page.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        received: list[int] = []
        cdp.on("Network.loadingFinished", lambda e, into=received: into.append(int(e["encodedDataLength"])))
        page.goto(url)
        page.wait_for_function(f"() => {ready_js}", timeout=900_000, polling=50)
        ms = page.evaluate("new Promise(r => requestAnimationFrame(() => r(performance.now())))")
        features = page.evaluate("document.querySelectorAll('.leaflet-marker-icon, .marker-cluster').length")
        results.append(PageRun(ms, sum(received), features))
        print(f"  {url}: {ms:.0f} ms, {sum(received) / 1e6:.2f} MB, {features} marker elements", flush=True)
        context.close()
    return results


def run(settings: Settings, runs: int = 5, folium_runs: int = 1) -> dict[str, dict]:
    from playwright.sync_api import sync_playwright

    name, count = folium_marker_page(settings)
    atlas = atlas_server(settings.url())
    site = static_server("folium-site", OUT / "folium-site")
    try:
        embed_url = f"{atlas.url}/embed/circuit:{EMBED_CIRCUIT}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            ready_embed = ("document.body.dataset.atlasLoaded && "
                           "JSON.parse(document.body.dataset.atlasLoaded).services >= 1 && "
                           "document.querySelectorAll('.marker-cluster').length > 0")
            measure(browser, embed_url, ready_embed, 1)  # warm the server and database, not the browser
            embed = measure(browser, embed_url, ready_embed, runs)
            loaded = browser.new_page()
            loaded.goto(embed_url)
            loaded.wait_for_function(f"() => {ready_embed}", timeout=60_000)
            shown = loaded.evaluate("JSON.parse(document.body.dataset.atlasLoaded).services")
            loaded.close()
            ready_folium = f"document.querySelectorAll('.leaflet-marker-icon').length >= {count}"
            plain = measure(browser, f"{site.url}/{name}", ready_folium, folium_runs)
            browser.close()
    finally:
        atlas.stop()
        site.stop()
    return {
        "atlas embed": summarize(embed) | {"services": shown},
        "folium markers": summarize(plain) | {"services": count},
    }


def summarize(runs: list[PageRun]) -> dict:
    ms = sorted(r.ms for r in runs)
    return {"median_ms": statistics.median(ms), "max_ms": ms[-1],
            "median_bytes": statistics.median(r.bytes for r in runs), "dom_markers": runs[0].features}
