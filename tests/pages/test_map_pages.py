"""The planner map, the embed and the builder over HTTP: what they offer, their security headers,
and errors a person can act on."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from geo.settings import Settings
from service.app import create_app


def test_planner_map_offers_choices_layers_and_downloads_of_what_is_shown(client):
    page = client.get("/map?state=MO&region=circuit:MO-13&category=food&stage=court&measure=distance")
    assert page.status_code == 200
    text = page.text
    for layer in ("counties", "courts", "rollups", "deserts", "services"):
        # the layer specs are JSON inside the page script, with & escaped as \u0026
        assert f"/api/layers/{layer}.geojson?region=circuit%3AMO-13\\u0026category=food" in text
    assert '<option value="circuit:MO-13" selected>' in text and '<option value="food" selected>' in text
    assert "/api/layers/services.csv?region=circuit%3AMO-13&amp;category=food&amp;stage=court" in text
    assert "no desert results computed yet" in text
    assert '<a href="/report/circuit:MO-13?category=food">Printable gap report</a>' in text
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert '<a href="/report/state:MO">' in client.get("/map?state=MO").text


def test_layer_downloads_are_attachments_with_the_same_filter(client):
    csv = client.get("/api/layers/services.csv?region=circuit:MO-13&category=food")
    assert csv.headers["content-type"].startswith("text/csv")
    assert 'filename="atlas-services.csv"' in csv.headers["content-disposition"]
    rows = csv.text.strip().split("\n")
    assert rows[0].startswith("id,name,") and rows[0].endswith(",lon,lat") and len(rows) > 1
    assert all("food" in row for row in rows[1:])
    geojson = client.get("/api/layers/services.geojson?region=circuit:MO-13&category=food&download=1")
    assert len(geojson.json()["features"]) == len(rows) - 1
    assert "attachment" in geojson.headers["content-disposition"]


def test_embed_sets_no_cookie_and_may_be_framed_by_any_site_by_default(client):
    page = client.get("/embed/circuit:MO-16?category=food&measure=access")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    csp = page.headers["content-security-policy"]
    assert csp.endswith("frame-ancestors *") and "script-src 'self' 'unsafe-inline'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "http" not in " ".join(p.split('"')[1] for p in page.text.split("<script src=")[1:])  # local scripts only
    assert 'href="/map?state=29&amp;region=circuit%3AMO-16&amp;category=food&amp;measure=access"' in page.text


def test_embed_frame_ancestors_come_from_the_allow_list(settings):
    allowed = settings.model_copy(update={"embed_allowed_origins": "https://courts.mo.gov, *.example.gov"})
    with TestClient(create_app(allowed)) as c:
        csp = c.get("/embed/county:29095").headers["content-security-policy"]
        assert csp.endswith("frame-ancestors 'self' https://courts.mo.gov *.example.gov")
        assert c.get("/map").headers["content-security-policy"].endswith("frame-ancestors 'self'")


def test_an_allow_list_entry_that_is_not_an_origin_is_refused_at_start():
    with pytest.raises(ValidationError, match="not origins"):
        Settings(embed_allowed_origins="https://ok.gov; script-src *")


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/embed/circuit", 400, "use kind:code"),
    ("/embed/circuit:MO-99", 404, "no circuit with code 'MO-99'"),
    ("/embed/county:29095?measure=vibes", 400, "unknown measure"),
    ("/map?region=planet:earth", 400, "use kind:code"),
])
def test_bad_regions_and_measures_get_errors_a_person_can_act_on(client, path, status, says):
    response = client.get(path)
    assert response.status_code == status and says in response.json()["detail"]


def test_embed_builder_escapes_its_snippet_and_links_the_preview(client):
    page = client.get("/embed?region=division:MA-suffolk&width=400&height=300")
    assert page.status_code == 200
    assert "&lt;iframe src=&#34;http://testserver/embed/division:MA-suffolk&#34;" in page.text
    assert '<iframe src="http://testserver/embed/division:MA-suffolk" width="400" height="300"' in page.text
