"""The HSDS 3 endpoints over HTTP: every list is an HSDS Page, paged the same way; service_at_locations
filters by postcode and proximity (nearest first); confidential sites are never located."""

from __future__ import annotations

import pytest

PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


@pytest.mark.parametrize("path", ["/api/hsds/services", "/api/hsds/service_at_locations",
                                  "/api/hsds/organizations", "/api/hsds/taxonomy_terms"])
def test_every_list_is_an_hsds_page_paged_the_same_way(client, path):
    first = client.get(path, params={"per_page": 7}).json()
    assert set(first) == PAGE_KEYS and first["size"] == len(first["contents"]) == 7
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    last = client.get(path, params={"per_page": 7, "page": first["total_pages"]}).json()
    assert last["last_page"] and 1 <= last["size"] <= 7
    assert (first["total_pages"] - 1) * 7 + last["size"] == first["total_items"]
    beyond = client.get(path, params={"per_page": 7, "page": first["total_pages"] + 1}).json()
    assert beyond["empty"] and beyond["contents"] == []
    second = client.get(path, params={"per_page": 7, "page": 2}).json()
    assert not {i["id"] for i in first["contents"]} & {i["id"] for i in second["contents"]}
    assert client.get(path, params={"per_page": 0}).status_code == 400


def test_taxonomy_terms_are_the_twenty_categories(client):
    page = client.get("/api/hsds/taxonomy_terms", params={"per_page": 100}).json()
    assert page["total_items"] == 20 and "food" in {t["code"] for t in page["contents"]}


def test_services_filter_by_taxonomy_term_and_detail_has_everything(client):
    terms = client.get("/api/hsds/taxonomy_terms", params={"per_page": 100}).json()["contents"]
    food = next(t["id"] for t in terms if t["code"] == "food")
    page = client.get("/api/hsds/services", params={"taxonomy_term_id": food, "per_page": 5}).json()
    assert page["total_items"] == 150  # 3,000 sample services over 20 categories
    assert all(s["attributes"][0]["taxonomy_term"]["code"] == "food" for s in page["contents"])
    detail = client.get(f"/api/hsds/services/{page['contents'][0]['id']}").json()
    for key in ("organization", "phones", "schedules", "languages", "cost_options", "service_at_locations"):
        assert detail[key], key
    assert detail["service_at_locations"][0]["location"]["addresses"][0]["postal_code"]
    assert client.get("/api/hsds/services/no-such-id").status_code == 404


def test_confidential_services_detail_has_no_location(client, conn):
    sid = conn.execute("SELECT id FROM service WHERE confidential LIMIT 1").fetchone()["id"]
    detail = client.get(f"/api/hsds/services/{sid}").json()
    assert detail["phones"]
    for sal in detail["service_at_locations"]:
        loc = sal["location"]
        assert loc["confidential"] and "latitude" not in loc and loc["addresses"] == [] and "name" not in loc


def test_service_at_locations_by_postcode_and_proximity(client, conn):
    page = client.get("/api/hsds/service_at_locations", params={"postcode": "65201", "per_page": 100}).json()
    assert page["total_items"] > 0
    assert {s["location"]["addresses"][0]["postal_code"] for s in page["contents"]} == {"65201"}
    near = client.get("/api/hsds/service_at_locations",
                      params={"proximity": "39.0997,-94.5786,20000", "per_page": 100}).json()
    located = [s["distance_m"] for s in near["contents"] if not s["location"]["confidential"]]
    assert located and located == sorted(located) and max(located) <= 20_000
    hidden = [s for s in near["contents"] if s["location"]["confidential"]]
    assert all("distance_m" not in s and "latitude" not in s["location"] for s in hidden)
    r = client.get("/api/hsds/service_at_locations", params={"proximity": "somewhere"})
    assert r.status_code == 400 and "lat,lon" in r.json()["detail"]
    r = client.get("/api/hsds/service_at_locations", params={"proximity": "39,-94,900000"})
    assert r.status_code == 400 and "at most" in r.json()["detail"]
