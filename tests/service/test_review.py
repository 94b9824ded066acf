"""Report a problem → the region's review queue → resolve, dismiss or fix, each audited and scoped
to the editor's regions (403 outside); verification through the API, on search rows, map layers and
HSDS; listings past their verification age and listings an import retired in the queue; freshness
per county and circuit."""

from __future__ import annotations

from datetime import date

import pytest

from geo.review.queue import freshness
from geo.scope import RegionRef
from service.pages_problem import months_before
from tests.service.reviewing import auth, review_setup  # noqa: F401 - a fixture

HTML_TEXT = '<script>alert("x")</script><b>wrong</b> number & "closed" on Mondays'


@pytest.fixture(autouse=True)
def _no_flood_left(committed_conn):
    committed_conn.execute("DELETE FROM report_bucket")


def _report(client, service_id: str, **body) -> dict:
    r = client.post(f"/api/services/{service_id}/reports", json={"kind": "wrong_phone", **body})
    assert r.status_code == 201, r.text
    return r.json()


def _queue(client, key: str, name: str, **params) -> dict:
    r = client.get(f"/api/review/{name}", headers=auth(key), params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_report_queue_fix_with_audit_scoped_to_the_editors_regions(client, review_setup):  # noqa: F811
    keys, svc = review_setup["keys"], review_setup["services"]
    sent = _report(client, svc["mo16"], text=HTML_TEXT, contact="me@example.org", lang="es")
    assert sent["status"] == "open" and set(sent) == {"id", "service_id", "kind", "status"}
    mine = {i["id"]: i for i in _queue(client, keys["mo16"], "reports")["items"]}
    item = mine[sent["id"]]
    assert item["text"] == HTML_TEXT and item["contact"] == "me@example.org" and item["lang"] == "es"
    assert set(item["service"]) == {"id", "name", "confidential", "counties"}  # never an address or a point
    assert item["service"]["counties"] == [{"fips": "29095", "name": "Jackson County"}]
    # Another circuit's editor neither sees it nor may act on it.
    assert sent["id"] not in {i["id"] for i in _queue(client, keys["mo22"], "reports")["items"]}
    for action in ("resolve", "dismiss"):
        r = client.post(f"/api/review/reports/{sent['id']}/{action}", headers=auth(keys["mo22"]), json={})
        assert r.status_code == 403, r.text
    r = client.post(f"/api/review/reports/{sent['id']}/fix", headers=auth(keys["mo22"]),
                    json={"changes": {"phones": ["816-555-0199"]}})
    assert r.status_code == 403
    assert client.post(f"/api/review/reports/{sent['id']}/resolve", json={}).status_code == 401
    # Its editor fixes it: the edit and the resolution in one go, linked.
    r = client.post(f"/api/review/reports/{sent['id']}/fix", headers=auth(keys["mo16"]),
                    json={"changes": {"phones": ["816-555-0199"]}, "note": "called them: new number"})
    assert r.status_code == 200, r.text
    fixed = r.json()
    assert fixed["service"]["phones"] == ["(816) 555-0199"]
    report = fixed["report"]
    assert report["status"] == "resolved" and report["edit_audit_id"] is not None
    conn = review_setup["conn"]
    edit = conn.execute("SELECT * FROM audit_log WHERE id = %s", [report["edit_audit_id"]]).fetchone()
    assert (edit["entity"], edit["entity_id"], edit["action"]) == ("service", svc["mo16"], "update")
    assert edit["after"]["phones"] == ["(816) 555-0199"]
    closed = conn.execute("SELECT contact, closed_by FROM problem_report WHERE id = %s", [sent["id"]]).fetchone()
    assert closed["contact"] is None and closed["closed_by"] is not None  # the contact goes with the report
    trail = client.get("/api/audit", headers=auth(keys["admin"]), params={"entity_id": str(sent["id"])}).json()
    (entry,) = [e for e in trail["items"] if e["entity"] == "problem_report"]
    assert entry["action"] == "resolve" and entry["actor"] == "review MO-16 editor"
    assert entry["before"]["status"] == "open" and entry["after"]["edit_audit_id"] == report["edit_audit_id"]
    assert "contact" not in entry["before"] and "contact" not in entry["after"]
    assert sent["id"] not in {i["id"] for i in _queue(client, keys["mo16"], "reports")["items"]}
    # Closed is closed.
    r = client.post(f"/api/review/reports/{sent['id']}/dismiss", headers=auth(keys["mo16"]), json={})
    assert r.status_code == 400 and "already resolved" in r.json()["detail"]


def test_resolve_links_an_edit_of_its_own_service_only_and_dismiss_is_audited(client, review_setup):  # noqa: F811
    keys, svc = review_setup["keys"], review_setup["services"]
    first, second = _report(client, svc["mo16"], kind="closed"), _report(client, svc["mo16"], kind="other")
    r = client.patch(f"/api/services/{svc['mo16']}", headers=auth(keys["mo16"]), json={"phones": ["816-555-0177"]})
    assert r.status_code == 200
    conn = review_setup["conn"]
    edit_id = conn.execute("SELECT max(id) AS id FROM audit_log WHERE entity = 'service' AND entity_id = %s",
                           [svc["mo16"]]).fetchone()["id"]
    other = client.patch(f"/api/services/{svc['mo22']}", headers=auth(keys["mo22"]), json={"phones": ["314-555-0100"]})
    assert other.status_code == 200
    other_id = conn.execute("SELECT max(id) AS id FROM audit_log WHERE entity = 'service' AND entity_id = %s",
                            [svc["mo22"]]).fetchone()["id"]
    r = client.post(f"/api/review/reports/{first['id']}/resolve", headers=auth(keys["mo16"]),
                    json={"edit_audit_id": other_id})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "edit_audit_id"
    r = client.post(f"/api/review/reports/{first['id']}/resolve", headers=auth(keys["mo16"]),
                    json={"edit_audit_id": edit_id, "note": "<i>done</i>"})
    assert r.status_code == 200 and r.json()["edit_audit_id"] == edit_id and r.json()["note"] == "<i>done</i>"
    r = client.post(f"/api/review/reports/{second['id']}/dismiss", headers=auth(keys["admin"]), json={"note": "spam"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    actions = [row["action"] for row in conn.execute(
        "SELECT action FROM audit_log WHERE entity = 'problem_report' AND entity_id = ANY(%s) ORDER BY id",
        [[str(first["id"]), str(second["id"])]])]
    assert actions == ["resolve", "dismiss"]


def test_reports_refuse_what_they_must_not_carry(client, review_setup):  # noqa: F811
    svc = review_setup["services"]["mo16"]
    bad = [{"kind": "broken"}, {"kind": "other", "text": "x" * 1001}, {"kind": "other", "contact": "y" * 201},
           {"kind": "moved", "latitude": 39.1, "longitude": -94.5},  # a reporter's location is never taken
           {"kind": "other", "text": "nul \x00 byte"}]
    for body in bad:
        assert client.post(f"/api/services/{svc}/reports", json=body).status_code == 422, body
    assert client.post("/api/services/no-such-service/reports", json={"kind": "closed"}).status_code == 404


def test_verify_sets_assured_date_shown_by_search_maps_and_hsds_and_the_stale_queue(client, review_setup):  # noqa: F811
    keys, svc = review_setup["keys"], review_setup["services"]
    sid = svc["mo16"]
    stale = {i["id"] for i in _queue(client, keys["mo16"], "stale", region="county:29095")["items"]}
    assert sid in stale  # never verified
    assert client.post(f"/api/services/{sid}/verify", headers=auth(keys["mo22"]), json={}).status_code == 403
    future = client.post(f"/api/services/{sid}/verify", headers=auth(keys["mo16"]), json={"assured_date": "2999-01-01"})
    assert future.status_code == 400
    r = client.post(f"/api/services/{sid}/verify", headers=auth(keys["mo16"]),
                    json={"assurer_email": "clerk@example.org"})
    assert r.status_code == 200, r.text
    today = date.today().isoformat()
    assert r.json()["assured_date"] == today and r.json()["assurer_email"] == "clerk@example.org"
    conn = review_setup["conn"]
    entry = conn.execute("SELECT * FROM audit_log WHERE entity = 'service' AND entity_id = %s AND action = 'verify' "
                         "ORDER BY id DESC LIMIT 1", [sid]).fetchone()
    assert entry["before"]["assured_date"] is None and entry["after"]["assured_date"] == today
    assert sid not in {i["id"] for i in _queue(client, keys["mo16"], "stale", region="county:29095")["items"]}
    # Search rows, the map layer and the HSDS API carry it.
    docs = conn.execute("SELECT doc FROM service_point WHERE service_id = %s", [sid]).fetchall()
    assert docs and all(d["doc"]["assured_date"] == today for d in docs)
    layer = client.get("/api/layers/services.geojson", params={"region": "county:29095"}).json()
    assert [f["properties"]["assured_date"] for f in layer["features"] if f["properties"]["id"] == sid] == [today]
    assert client.get(f"/api/hsds/services/{sid}").json()["assured_date"] == today
    # Verified just over the age ago: stale again; just inside it: not.
    for months_ago, expect_stale in ((12, False), (13, True)):
        day = months_before(date.today(), months_ago).isoformat()
        assert client.post(f"/api/services/{sid}/verify", headers=auth(keys["mo16"]),
                           json={"assured_date": day}).status_code == 200
        queue = {i["id"]: i for i in _queue(client, keys["mo16"], "stale", region="county:29095")["items"]}
        assert (sid in queue) is expect_stale, (months_ago, day)


def test_review_counts_and_freshness_per_county_and_circuit(client, review_setup):  # noqa: F811
    keys, svc = review_setup["keys"], review_setup["services"]
    conn = review_setup["conn"]
    before = {(r["kind"], r["code"]): r for r in freshness(conn, RegionRef("circuit", "MO-16"))}
    _report(client, svc["mo16"], kind="wrong_hours")
    client.post(f"/api/services/{svc['mo16']}/verify", headers=auth(keys["mo16"]), json={})
    body = client.get("/api/freshness", params={"region": "circuit:MO-16"}).json()
    assert body["verify_max_age_months"] == 12 and body["areas"][0]["kind"] == "circuit"
    after = {(r["kind"], r["code"]): r for r in body["areas"]}
    assert set(after) == {("circuit", "MO-16"), ("county", "29095")}
    for area in after:
        assert after[area]["open_reports"] == before[area]["open_reports"] + 1
        assert after[area]["services"] == before[area]["services"] > 0
        assert after[area]["verified"] >= 1
        assert after[area]["share_verified"] == round(after[area]["verified"] / after[area]["services"], 3)
    state = client.get("/api/freshness", params={"region": "state:MO"}).json()["areas"]
    kinds = [a["kind"] for a in state]
    assert kinds[0] == "state" and "circuit" in kinds and kinds.count("county") == 115
    assert client.get("/api/freshness", params={"region": "circuit:XX-99"}).status_code == 404
    counts = client.get("/api/review", headers=auth(keys["mo16"])).json()["counts"]
    assert counts["reports"] >= 1 and counts["stale"] >= 1 and set(counts) == {"reports", "stale", "flagged"}
    assert client.get("/api/review", params={"region": "circuit:MO-16"}).status_code == 401


def test_listings_an_import_retired_are_flagged_for_their_region_and_reviewed(client, review_setup, tmp_path):  # noqa: F811
    from geo.importer import ImportOptions, import_path

    keys, conn = review_setup["keys"], review_setup["conn"]
    header = "id,name,organization,address,city,state,zip,categories,latitude,longitude"
    rows = [f"kc-{n},KC Pantry {n},KC Org,100 Main St,Kansas City,MO,64106,food,39.0997,-94.5786" for n in (1, 2, 3)]
    path = tmp_path / "kc.csv"
    try:
        path.write_text("\n".join([header, *rows]) + "\n")
        assert import_path(conn, path, ImportOptions(source="review-flags")).inserted == 3
        path.write_text("\n".join([header, rows[0]]) + "\n")
        assert import_path(conn, path, ImportOptions(source="review-flags", retire_missing=True)).retired == 2
        ids = {r["source_id"]: r["id"] for r in conn.execute(
            "SELECT source_id, id FROM service WHERE source = 'review-flags'")}
        flagged = {i["id"]: i for i in _queue(client, keys["mo16"], "flagged")["items"]}
        assert {ids["kc-2"], ids["kc-3"]} <= set(flagged) and ids["kc-1"] not in flagged
        assert flagged[ids["kc-2"]]["source"] == "review-flags"
        assert not {ids["kc-2"], ids["kc-3"]} & {i["id"] for i in _queue(client, keys["mo22"], "flagged")["items"]}
        r = client.post(f"/api/review/flagged/{ids['kc-2']}/resolve", headers=auth(keys["mo22"]), json={})
        assert r.status_code == 403
        r = client.post(f"/api/review/flagged/{ids['kc-2']}/resolve", headers=auth(keys["mo16"]),
                        json={"note": "closed for good"})
        assert r.status_code == 200 and r.json()["retired_at"] is not None
        r = client.post(f"/api/review/flagged/{ids['kc-3']}/dismiss", headers=auth(keys["mo16"]), json={})
        assert r.status_code == 200 and r.json()["retired_at"] is None
        assert not {ids["kc-2"], ids["kc-3"]} & set(i["id"] for i in _queue(client, keys["mo16"], "flagged")["items"])
        actions = [(a["entity_id"], a["action"]) for a in conn.execute(
            "SELECT entity_id, action FROM audit_log WHERE entity = 'service' AND entity_id = ANY(%s) ORDER BY id",
            [[ids["kc-2"], ids["kc-3"]]])]
        assert actions == [(ids["kc-2"], "resolve"), (ids["kc-3"], "dismiss")]
        assert client.post(f"/api/review/flagged/{ids['kc-1']}/resolve", headers=auth(keys["mo16"]),
                           json={}).status_code == 400  # not retired by an import
    finally:
        ids_all = [r["id"] for r in conn.execute("SELECT id FROM service WHERE source = 'review-flags'")]
        conn.execute("DELETE FROM audit_log WHERE entity = 'service' AND entity_id = ANY(%s)", [ids_all])
        for table, column in (("attribute", "link_id"), ("phone", "service_id"), ("schedule", "service_id"),
                              ("language", "service_id"), ("service_stage", "service_id"),
                              ("cost_option", "service_id"), ("service_at_location", "service_id")):
            conn.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [ids_all])  # noqa: S608 - fixed names
        conn.execute("DELETE FROM service WHERE source = 'review-flags'")
        conn.execute("DELETE FROM address WHERE location_id IN (SELECT id FROM location WHERE source = 'review-flags')")
        conn.execute("DELETE FROM location WHERE source = 'review-flags'")
        conn.execute("DELETE FROM organization WHERE source = 'review-flags'")
        conn.execute("DELETE FROM import_run WHERE source = 'review-flags'")


def test_problem_page_in_spanish_shows_the_text_sent_as_text(client, review_setup):  # noqa: F811
    svc = review_setup["services"]["mo22"]
    page = client.get(f"/problem/{svc}", params={"lang": "es"})
    assert page.status_code == 200 and "Informar un problema" in page.text and 'lang="es"' in page.text
    r = client.post(f"/problem/{svc}?lang=es", data={"kind": "wrong_hours", "text": HTML_TEXT})
    assert r.status_code == 201 and "Gracias" in r.text and "El horario es incorrecto" in r.text
    assert "<script>alert" not in r.text and "<b>wrong</b>" not in r.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;wrong&lt;/b&gt;" in r.text
    assert client.post(f"/problem/{svc}?lang=es", data={"text": "no kind"}).status_code == 422
    assert client.get("/problem/no-such-service").status_code == 404
