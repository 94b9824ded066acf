"""Every response carries the security headers, whatever answered it: a JSON API, a page, a 404,
a 413 from the body limit, a static file; map pages add their Content-Security-Policy."""

from __future__ import annotations

import pytest

from service.security import FIXED_HEADERS


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/health", 200),
    ("GET", "/api/services/nearby?near=38.9517,-92.3341", 200),
    ("GET", "/api/services/nearby", 422),
    ("GET", "/no/such/page", 404),
    ("GET", "/static/atlas.css", 200),
    ("GET", "/map", 200),
])
def test_every_response_has_the_fixed_security_headers(client, method, path, status):
    r = client.request(method, path)
    assert r.status_code == status
    for name, value in FIXED_HEADERS:
        assert r.headers[name.decode()] == value.decode()


def test_a_too_large_body_is_refused_with_the_security_headers_too(client):
    r = client.post("/api/services/00000000-0000-0000-0000-000000000000/reports", content=b"x" * 10_000_000, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["referrer-policy"] == "no-referrer"


def test_map_pages_get_their_policy_and_the_api_only_framing_rules(client):
    page = client.get("/map").headers["content-security-policy"]
    assert "script-src 'self'" in page and "frame-ancestors 'self'" in page
    assert client.get("/health").headers["content-security-policy"] == "frame-ancestors 'self'"


def test_a_route_that_sets_its_own_header_keeps_it(client):
    # The OpenAPI docs page loads its own assets: no policy is added to it.
    assert "content-security-policy" not in client.get("/docs").headers
    # Tiles allow any site (set by the route); the fixed headers are still added beside it.
    r = client.get("/tiles/services/0/0/0.mvt")
    assert r.headers["access-control-allow-origin"] == "*" and r.headers["x-content-type-options"] == "nosniff"
