"""/api/workshops over HTTP: keys and regions (401/403), validation (422) and errors in the declared
shape, published plans public and drafts only for the region's editors, the audit trail through
/api/audit, progress and CSV of every table, and the routes in the OpenAPI."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

from geo.keys import create_key

NAMES = {"admin": "test workshops admin", "mo41": "test workshops MO-41", "mo22": "test workshops MO-22"}


def _cleanup(conn) -> None:
    conn.execute("DELETE FROM workshop WHERE NOT is_sample")
    conn.execute("DELETE FROM audit_log WHERE key_id IN (SELECT id FROM api_key WHERE name = ANY(%s))",
                 [list(NAMES.values())])
    conn.execute("DELETE FROM api_key WHERE name = ANY(%s)", [list(NAMES.values())])


@pytest.fixture(scope="module")
def keys(settings) -> Iterator[dict[str, dict[str, str]]]:
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:
        _cleanup(conn)
        secrets = {"admin": create_key(conn, NAMES["admin"], "admin")[1],
                   "mo41": create_key(conn, NAMES["mo41"], "editor", ["MO-41"])[1],
                   "mo22": create_key(conn, NAMES["mo22"], "editor", ["MO-22"])[1]}
        yield {name: {"Authorization": f"Bearer {secret}"} for name, secret in secrets.items()}
        _cleanup(conn)


@pytest.fixture
def workshop(client, keys, committed_conn) -> Iterator[int]:
    response = client.post("/api/workshops", headers=keys["mo41"], json={
        "region": "circuit:MO-41", "title": "41st Circuit workshop", "status": "held",
        "held_on": "2026-01-14", "sectors": {"schools": 4, "courts": 6}, "notes": "draft notes"})
    assert response.status_code == 201, response.text
    workshop_id = response.json()["id"]
    yield workshop_id
    committed_conn.execute("DELETE FROM workshop WHERE id = %s", [workshop_id])


def test_writes_need_a_key_of_the_region(client, keys, workshop):
    body = {"kind": "transportation", "description": "No bus"}
    assert client.post(f"/api/workshops/{workshop}/barriers", json=body).status_code == 401
    refused = client.post(f"/api/workshops/{workshop}/barriers", json=body, headers=keys["mo22"])
    assert refused.status_code == 403 and "MO-22" in refused.json()["detail"]
    outside = client.post("/api/workshops", headers=keys["mo41"], json={"region": "circuit:MO-22", "title": "x"})
    assert outside.status_code == 403
    made = client.post(f"/api/workshops/{workshop}/barriers", json=body, headers=keys["mo41"])
    assert made.status_code == 201 and made.json()["workshop"]["barriers"][0]["kind_name"] == "Transportation"
    admin = client.patch(f"/api/workshops/{workshop}", json={"status": "plan_adopted"}, headers=keys["admin"])
    assert admin.status_code == 200 and admin.json()["status"] == "plan_adopted"


def test_a_draft_plan_is_for_the_region_editors_until_published(client, keys, workshop):
    client.post(f"/api/workshops/{workshop}/actions", headers=keys["mo41"],
                json={"what": "Mobile pantry", "partners": ["Schools"], "due_on": "2026-06-30"})
    public = client.get(f"/api/workshops/{workshop}").json()
    assert public["withheld"] is True and public["actions"] == [] and public["notes"] is None
    assert public["participants"] == 10 and public["status_name"] == "Workshop held"
    assert client.get(f"/api/workshops/{workshop}", headers=keys["mo22"]).json()["withheld"] is True
    assert client.get(f"/api/workshops/{workshop}/agenda").status_code == 404
    mine = client.get(f"/api/workshops/{workshop}", headers=keys["mo41"]).json()
    assert mine["actions"][0]["what"] == "Mobile pantry" and mine["notes"] == "draft notes"
    client.patch(f"/api/workshops/{workshop}", json={"published": True}, headers=keys["mo41"])
    agenda = client.get(f"/api/workshops/{workshop}/agenda").json()
    assert [a["what"] for a in agenda["open_items"]] == ["Mobile pantry"]


def test_every_change_is_in_the_audit_trail(client, keys, workshop):
    item = client.post(f"/api/workshops/{workshop}/actions", headers=keys["mo41"], json={"what": "Ride vouchers"})
    item_id = item.json()["id"]
    update = client.post(f"/api/workshops/{workshop}/actions/{item_id}/updates", headers=keys["mo41"],
                         json={"quarter": "2026-Q1", "body": "Vouchers printed", "status": "done"})
    assert update.status_code == 201
    assert next(a for a in update.json()["workshop"]["actions"] if a["id"] == item_id)["status"] == "done"
    gone = client.delete(f"/api/workshops/{workshop}/actions/{item_id}", headers=keys["mo41"])
    assert gone.status_code == 200
    trail = client.get("/api/audit", params={"entity": "action_item", "entity_id": str(item_id)},
                       headers=keys["admin"]).json()["items"]
    assert [e["action"] for e in trail] == ["delete", "update", "create"]
    assert trail[0]["actor"] == NAMES["mo41"] and trail[0]["before"]["what"] == "Ride vouchers"
    assert trail[1]["before"]["status"] == "open" and trail[1]["after"]["status"] == "done"
    assert client.get("/api/audit", params={"entity": "workshop", "entity_id": str(workshop)},
                      headers=keys["admin"]).json()["items"][-1]["action"] == "create"


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "weather"}, "kind"),
    ({"kind": "cost", "category": "astrology"}, "category"),
    ({"kind": "cost", "counties": ["29095"]}, "counties"),
    ({"kind": "cost", "description": "a\x00b"}, "description"),
])
def test_bad_barriers_are_422_naming_the_field(client, keys, workshop, body, field):
    response = client.post(f"/api/workshops/{workshop}/barriers", json=body, headers=keys["mo41"])
    assert response.status_code == 422
    assert any(e["field"] == field for e in response.json()["errors"]), response.json()


def test_priorities_need_gap_figures_and_lead_organizations_must_exist(client, keys, workshop):
    no_run = client.post(f"/api/workshops/{workshop}/priorities", headers=keys["mo41"],
                         json={"title": "Food", "cells": [{"category": "food"}]})
    assert no_run.status_code == 422 and "atlas deserts compute --region circuit:MO-41" in no_run.json()["detail"]
    no_org = client.post(f"/api/workshops/{workshop}/actions", headers=keys["mo41"],
                         json={"what": "x", "lead_organization_id": "nobody"})
    assert no_org.status_code == 422 and no_org.json()["errors"][0]["field"] == "lead_organization_id"


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/api/workshops/999999999", 404, "no workshop 999999999"),
    ("/api/workshops?region=state:MO", 400, "not a state"),
    ("/api/workshops?region=circuit:MO-99", 200, ""),
    ("/api/workshops/progress?state=Atlantis", 400, ""),
    ("/api/workshops/export/api_key.csv", 422, "table"),
])
def test_read_errors_say_what_to_do(client, path, status, says):
    response = client.get(path)
    assert response.status_code == status
    if status != 200:
        assert says in response.json()["detail"]


def test_progress_and_csv_of_every_table(client, keys, workshop):
    facts = client.get("/api/workshops/progress", params={"state": "MO"}).json()
    assert facts["regions"] == 46 and facts["headline"].endswith("of 46 circuits have held their workshop")
    mo41 = next(r for r in facts["items"] if r["code"] == "MO-41")
    assert mo41["status"] == "held" and mo41["participants"] == 10 and mo41["workshop_id"] == workshop
    for table in ("workshop", "workshop_sector", "workshop_barrier", "workshop_priority", "workshop_priority_cell",
                  "action_item", "action_update"):
        response = client.get(f"/api/workshops/export/{table}.csv")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert f'filename="atlas-{table}.csv"' in response.headers["content-disposition"]
        assert next(csv.reader(io.StringIO(response.text)))[0] in ("id", "workshop_id", "priority_id")
    sectors = client.get("/api/workshops/export/workshop_sector.csv", headers=keys["mo41"]).text
    assert f"{workshop},schools,4" in sectors
    assert f"{workshop},schools,4" not in client.get("/api/workshops/export/workshop_sector.csv").text


def test_the_openapi_declares_the_routes_and_their_error_bodies(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/workshops/{workshop_id}/priorities"]["post"]
    for status in ("400", "401", "403", "404", "422"):
        assert post["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "/api/workshops/progress" in spec["paths"] and "/api/workshops/export/{table}.csv" in spec["paths"]
    assert set(spec["components"]["schemas"]["ErrorBody"]["properties"]) == {"detail", "errors"}
