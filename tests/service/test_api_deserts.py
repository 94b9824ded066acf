"""The deserts API over a run computed (and committed) for one small circuit: cells as GeoJSON, the
gap matrix as JSON and CSV, rollups — and never a confidential service's point."""

from __future__ import annotations

import csv
import io

import psycopg
import pytest
import shapely
from psycopg.rows import dict_row

from geo.deserts.model import Parameters
from geo.deserts.runs import compute_run
from geo.scope import RegionRef
from tests.geo.deserts_data import (
    TEST_CATEGORY,
    add_category,
    add_service,
    near_grid_corner,
    remove_test_data,
)

CIRCUIT = "circuit:MO-1"  # Clark, Schuyler and Scotland counties
KAHOKA = (-91.7204, 40.4206)


@pytest.fixture(scope="module")
def desert_run(settings):
    with psycopg.connect(settings.url(), row_factory=dict_row) as conn:  # type: ignore[arg-type]
        add_category(conn, urban_m=5000, rural_m=15000)
        site = near_grid_corner(*KAHOKA)
        add_service(conn, *site, confidential=True, county_fips="29045")
        run_id = compute_run(conn, RegionRef("circuit", "MO-1"), categories=["food", TEST_CATEGORY],
                             params=Parameters(resolution=7))
        conn.commit()
        yield {"run_id": run_id, "site": site}
        conn.execute("DELETE FROM desert_run WHERE id = %s", [run_id])
        remove_test_data(conn)
        conn.commit()


def test_desert_cells_are_polygons_carrying_the_asked_measure(client, desert_run, conn):
    r = client.get("/api/deserts", params={"region": CIRCUIT, "category": "food", "measure": "access_2sfca"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    stored = conn.execute("SELECT count(*) AS n FROM desert_cell WHERE run_id = %s AND category = 'food'",
                          [desert_run["run_id"]]).fetchone()["n"]
    assert len(body["features"]) == stored > 100
    assert body["run"]["id"] == desert_run["run_id"] and body["run"]["resolution"] == 7
    assert body["run"]["stale"] is False
    assert body["measure"] == "access_2sfca"
    for f in body["features"]:
        assert f["geometry"]["type"] == "Polygon"
        assert f["properties"]["value"] == f["properties"]["access_2sfca"]
        assert f["properties"]["covered"] == (f["properties"]["distance_m"] <= f["properties"]["threshold_m"])


def test_a_county_gets_only_its_own_cells_from_the_circuit_run(client, desert_run):
    whole = client.get("/api/deserts", params={"region": CIRCUIT, "category": "food"}).json()
    clark = client.get("/api/deserts", params={"region": "county:29045", "category": "food",
                                               "measure": "covered"}).json()
    assert 0 < len(clark["features"]) < len(whole["features"])
    assert {f["properties"]["county_fips"] for f in clark["features"]} == {"29045"}
    assert all(isinstance(f["properties"]["value"], bool) for f in clark["features"])


def test_a_confidential_site_is_counted_but_its_point_is_in_no_response(client, desert_run):
    lon, lat = desert_run["site"]
    site = shapely.Point(lon, lat)
    cells = client.get("/api/deserts", params={"region": CIRCUIT, "category": TEST_CATEGORY})
    gaps = client.get("/api/gaps", params={"region": CIRCUIT})
    rollups = client.get("/api/rollups", params={"kind": "county", "category": TEST_CATEGORY})
    for r in (cells, gaps, rollups):
        assert r.status_code == 200
        assert f"{lon:.4f}" not in r.text and f"{lat:.4f}" not in r.text
    features = cells.json()["features"]
    assert all(f["geometry"]["type"] == "Polygon" for f in features)
    covered = [f for f in features if f["properties"]["covered"]]
    assert covered  # the shelter covers people...
    nearest = min(features, key=lambda f: f["properties"]["distance_m"])
    assert not shapely.geometry.shape(nearest["geometry"]).contains(site)  # ...from its square's centre
    assert gaps.json()["matrix"][TEST_CATEGORY]["all"]["services"] == 1


def test_the_gap_matrix_comes_as_json_and_as_a_spreadsheet(client, desert_run):
    matrix = client.get("/api/gaps", params={"region": CIRCUIT}).json()
    assert matrix["region"]["code"] == "MO-1" and matrix["categories"] == ["food", TEST_CATEGORY]
    assert matrix["stages"][0] == "all"
    r = client.get("/api/gaps", params={"region": CIRCUIT, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][0] == "category" and len(rows[0]) == 1 + 2 * len(matrix["stages"])
    food = next(row for row in rows if row[0] == "food")
    assert float(food[1]) == pytest.approx(matrix["matrix"]["food"]["all"]["population_uncovered"])


def test_rollups_rank_the_circuits_counties(client, desert_run):
    body = client.get("/api/rollups", params={"kind": "county", "category": "food", "state": "MO"}).json()
    rows = [r for r in body["rollups"] if r["run_id"] == desert_run["run_id"]]
    assert sorted(r["region_code"] for r in rows) == ["29045", "29197", "29199"]
    assert sorted(r["rank"] for r in body["rollups"]) == list(range(1, len(body["rollups"]) + 1))
    shares = [r["share_uncovered"] for r in sorted(body["rollups"], key=lambda r: r["rank"])]
    assert shares == sorted(shares, reverse=True)
    circuit = client.get("/api/rollups", params={"kind": "circuit", "category": "food"}).json()["rollups"]
    mo1 = next(r for r in circuit if r["region_code"] == "MO-1")
    assert mo1["population"] == pytest.approx(sum(r["population"] for r in rows))
    assert mo1["region_name"] == "1st Judicial Circuit"


def test_bad_requests_say_what_to_do(client, desert_run):
    assert client.get("/api/deserts", params={"region": "MO-1", "category": "food"}).status_code == 400
    missing = client.get("/api/deserts", params={"region": "state:MA", "category": "food"})
    assert missing.status_code == 404 and "atlas deserts compute" in missing.json()["detail"]
    bad = client.get("/api/deserts", params={"region": CIRCUIT, "category": "food", "measure": "x"})
    assert bad.status_code == 400 and "distance_m" in bad.json()["detail"]
    assert client.get("/api/rollups", params={"kind": "planet"}).status_code == 422
    assert client.get("/api/gaps", params={"region": "division:MA-suffolk"}).status_code == 404
