"""/find/list: a shared list holds service ids only; a confidential site on it shows its county and
phone, never an address or a point; unknown ids are left out; the QR code is inline SVG."""

from __future__ import annotations

import html
import re


def test_a_list_shows_the_services_named_and_keeps_confidential_sites_vague(client, conn):
    open_site = conn.execute(
        "SELECT id, doc FROM service_point WHERE NOT confidential ORDER BY id LIMIT 1").fetchone()
    hidden = conn.execute(
        "SELECT id, doc, ST_Y(geog::geometry) AS lat FROM service_point WHERE confidential ORDER BY id LIMIT 1").fetchone()
    response = client.get("/find/list", params=[("lang", "en"), ("id", open_site["id"]), ("id", hidden["id"]),
                                                 ("id", "no-such-id")])
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    text = response.text
    assert "2 services" in text and "<svg" in text and "<script>" not in text.split("<svg", 1)[1].split("</svg>")[0]
    assert open_site["doc"]["location"]["address"]["address_1"] in text
    assert "Address kept confidential for safety" in text and hidden["doc"]["county"]["name"] in text
    assert f"{hidden['lat']:.3f}" not in text
    link = re.search(r'id="share-url" type="text" readonly value="([^"]+)"', text)
    assert link and html.unescape(link.group(1)).endswith(f"/find/list?lang=en&id={open_site['id']}&id={hidden['id']}")


def test_an_empty_or_unknown_list_says_so_in_the_pages_language(client):
    response = client.get("/find/list", params={"lang": "es", "id": "gone"})
    assert response.status_code == 200 and "Esta lista no tiene servicios" in response.text
    assert "<svg" not in response.text
