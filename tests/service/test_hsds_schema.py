"""The HSDS read API against the official HSDS 3.0 schemas (tests/hsds3.py): every service (list
item and full detail), organization, service at a location and taxonomy term it returns over the
test database validates, formats included (every id a UUID), with no nulls."""

from __future__ import annotations

from collections.abc import Iterator

from tests.hsds3 import all_errors

PER_PAGE = 100


def _every(client, path: str, **params: str) -> Iterator[dict]:
    page = 1
    while True:
        body = client.get(path, params={"per_page": PER_PAGE, "page": page, **params}).json()
        yield from body["contents"]
        if body["last_page"]:
            return
        page += 1


def _nulls(value: object, where: str = "") -> list[str]:
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _nulls(v, f"{where}/{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _nulls(v, f"{where}/{i}")]
    return []


def test_every_service_listed_and_in_full_validates(client):
    listed = list(_every(client, "/api/hsds/services"))
    assert len(listed) >= 3000
    assert all_errors("service", listed) == []
    full = [client.get(f"/api/hsds/services/{s['id']}").json() for s in listed]
    assert all_errors("service", full) == []
    assert [n for s in full for n in _nulls(s, s["id"])] == []
    assert any(s["phones"] for s in full) and any(s["schedules"] for s in full)
    assert any(s["languages"] and all("code" in x for x in s["languages"]) for s in full)


def test_every_organization_taxonomy_term_and_service_at_location_validates(client):
    for path, schema in (("/api/hsds/organizations", "organization"),
                         ("/api/hsds/taxonomy_terms", "taxonomy_term"),
                         ("/api/hsds/service_at_locations", "service_at_location")):
        items = list(_every(client, path))
        assert items, path
        assert all_errors(schema, items) == [], path
        assert [n for i in items for n in _nulls(i, i["id"])] == [], path
    near = list(_every(client, "/api/hsds/service_at_locations", proximity="39.0997,-94.5786,20000"))
    assert near and all_errors("service_at_location", near) == []
