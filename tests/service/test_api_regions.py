"""/api/regions returns GeoJSON, and says clearly what was wrong with a bad request."""

from __future__ import annotations


def test_missouri_circuits_as_geojson(client):
    r = client.get("/api/regions", params={"kind": "circuit", "state": "MO"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 46
    sixteenth = next(f for f in fc["features"] if f["properties"]["code"] == "MO-16")
    assert sixteenth["properties"]["members"] == ["29095"]
    assert sixteenth["geometry"]["type"] == "MultiPolygon"


def test_counties_by_state_fips_list_their_court_region(client):
    fc = client.get("/api/regions", params={"kind": "county", "state": "25"}).json()
    assert len(fc["features"]) == 14
    suffolk = next(f for f in fc["features"] if f["properties"]["code"] == "25025")
    assert suffolk["properties"]["member_of"] == ["MA-suffolk"]


def test_unknown_kind_and_state_are_400_with_a_message(client):
    r = client.get("/api/regions", params={"kind": "parish"})
    assert r.status_code == 400 and "unknown region kind 'parish'" in r.json()["detail"]
    r = client.get("/api/regions", params={"state": "ZZ"})
    assert r.status_code == 400 and "unknown state 'ZZ'" in r.json()["detail"]


def test_point_lookup_validates_coordinates(client):
    r = client.get("/api/regions/at", params={"lat": 200, "lon": 0})
    assert r.status_code == 422 and "lat" in r.json()["detail"]


def test_map_layer_never_contains_confidential_services(client, conn):
    fc = client.get("/api/layers/services.geojson", params={"state": "MO"}).json()
    ids = {f["id"] for f in fc["features"]}
    confidential = {r["id"] for r in conn.execute("SELECT id FROM service WHERE confidential")}
    assert confidential and not ids & confidential
    assert all(f["properties"]["is_sample"] for f in fc["features"])


def test_downloads_of_the_services_layer_never_contain_a_confidential_site(client, conn):
    confidential = conn.execute(
        """SELECT s.id, l.latitude, l.longitude FROM service s
           JOIN service_at_location sal ON sal.service_id = s.id JOIN location l ON l.id = sal.location_id
           WHERE s.confidential AND left(l.county_fips, 2) = '29'"""
    ).fetchall()
    assert confidential
    for ext in ("csv", "geojson"):
        body = client.get(f"/api/layers/services.{ext}", params={"state": "MO"}).text
        assert "Sample:" in body
        for site in confidential:
            assert site["id"] not in body
            assert f"{float(site['latitude']):.4f}" not in body or f"{float(site['longitude']):.4f}" not in body
