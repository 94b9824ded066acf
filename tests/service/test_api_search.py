"""GET /api/services/nearby over HTTP on the sample services: HSDS Pages, counties and circuits,
confidential sites never located, clear 4xx errors, nothing cached or set as a cookie."""

from __future__ import annotations

import pytest

from geo.search import MAX_RADIUS_M

COLUMBIA = "65201"


def test_nearby_by_zip_is_sorted_by_distance_with_county_and_circuit(client):
    r = client.get("/api/services/nearby", params={"near": COLUMBIA, "per_page": 50})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store" and "set-cookie" not in r.headers
    page = r.json()
    assert page["page_number"] == 1 and page["size"] == len(page["contents"]) > 10
    assert page["total_items"] >= page["size"]
    distances = [i["distance_m"] for i in page["contents"] if not i["confidential"]]
    assert distances == sorted(distances)
    first = page["contents"][0]
    assert first["county"] == {"fips": "29019", "name": "Boone County"}
    assert first["court"]["kind"] == "circuit" and first["court"]["code"] == "MO-13"
    assert first["phones"] and first["hours"] and first["languages"] and "eligibility" in first


def test_category_and_language_filters_over_http(client):
    page = client.get("/api/services/nearby", params={
        "near": "Kansas City, MO", "category": "food", "language": "es", "radius_m": 100_000}).json()
    assert page["contents"]
    for item in page["contents"]:
        assert [c["code"] for c in item["categories"]] == ["food"]
        assert "es" in [lang["code"] for lang in item["languages"]]


def test_confidential_sample_shelters_have_no_point_address_or_metres(client):
    page = client.get("/api/services/nearby", params={
        "near": "Kansas City, MO", "category": "domestic-violence", "radius_m": MAX_RADIUS_M,
        "per_page": 100}).json()
    shelters = [i for i in page["contents"] if i["confidential"]]
    assert shelters
    for s in shelters:
        assert s["location"] is None and s["distance_m"] is None and s["distance_band"]
        assert s["phones"] and s["how_to_get_help"]


def test_bad_parameters_are_4xx_with_a_message(client):
    r = client.get("/api/services/nearby", params={"near": COLUMBIA, "category": "bowling"})
    assert r.status_code == 400 and "unknown category 'bowling'" in r.json()["detail"]
    r = client.get("/api/services/nearby", params={"near": COLUMBIA, "radius_m": MAX_RADIUS_M * 2})
    assert r.status_code == 400 and f"at most {MAX_RADIUS_M}" in r.json()["detail"]
    r = client.get("/api/services/nearby", params={"near": "the moon"})
    assert r.status_code == 400 and "ZIP" in r.json()["detail"]
    r = client.get("/api/services/nearby", params={"near": COLUMBIA, "per_page": 1000})
    assert r.status_code == 400 and "per_page" in r.json()["detail"]
    r = client.get("/api/services/nearby", params={"near": COLUMBIA, "age": "old"})
    assert r.status_code == 422 and "age" in r.json()["detail"]
    assert client.get("/api/services/nearby").status_code == 422


def test_find_page_lists_confidential_shelters_without_address_or_map_point(client):
    r = client.post("/find", data={"near": "Kansas City, MO", "category": "domestic-violence",
                                   "radius_km": "160"})
    assert r.status_code == 200 and "set-cookie" not in r.headers
    assert 'data-confidential="true"' in r.text
    assert "Address kept confidential for safety" in r.text
    assert "Safe Haven Shelter" in r.text
    points = r.text.split('id="map-points">', 1)[1].split("</script>", 1)[0]
    assert "Safe Haven Shelter" not in points and "Advocacy" in points


SHEET_HEADER = ("id,name,organization,address,city,state,zip,phone,website,categories,stages,languages,"
                "capacity,hours,latitude,longitude,confidential,description\n")


@pytest.fixture
def spanish_sheet(committed_conn, tmp_path):
    """A sheet naming its languages in words, imported and committed (so the app sees it), then removed."""
    from geo.importer import ImportOptions, import_path

    sheet = tmp_path / "habla.csv"
    sheet.write_text(SHEET_HEADER + "habla-1,Test: Habla Family Center,,1 Elm St,Columbia,MO,65201,,,food,,"
                     "English;Spanish,,,38.9431,-92.3921,no,\n")
    report = import_path(committed_conn, sheet, ImportOptions(source="test-habla", write_rejects=False))
    assert report.rejected == 0, report.errors
    yield "Test: Habla Family Center"
    committed_conn.execute("""DELETE FROM attribute a USING service s
                              WHERE a.link_entity = 'service' AND a.link_id = s.id AND s.source = 'test-habla'""")
    for table in ("service", "location", "organization", "import_run"):
        committed_conn.execute(f"DELETE FROM {table} WHERE source = 'test-habla'")  # noqa: S608


def test_a_sheet_naming_spanish_is_found_by_code_and_by_name(client, spanish_sheet):
    def names(language: str) -> list[str]:
        r = client.get("/api/services/nearby", params={
            "near": "38.9431,-92.3921", "radius_m": 30, "language": language})
        assert r.status_code == 200, r.text
        return [item["name"] for item in r.json()["contents"]]

    for language in ("es", "ES", "Spanish", "español", "spa", "English"):
        assert names(language) == [spanish_sheet], language
    assert names("vi") == []
    page = client.get("/api/services/nearby", params={"near": "38.9431,-92.3921", "radius_m": 30}).json()
    assert [(x["code"], x["name"]) for x in page["contents"][0]["languages"]] == [
        ("en", "English"), ("es", "Spanish")]


def test_an_unknown_language_filter_is_a_400_saying_what_to_use(client):
    r = client.get("/api/services/nearby", params={"near": COLUMBIA, "language": "Klingonese"})
    assert r.status_code == 400
    assert r.json()["detail"] == ("unknown language 'Klingonese' (use an ISO 639 code such as es "
                                  "or a name such as Spanish).")
