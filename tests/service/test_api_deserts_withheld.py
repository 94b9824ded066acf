"""Through the API, committed as an admin in psql would: a shelter made confidential after a desert
run leaves every desert output at once (cells in every measure, tiles, rollups, gaps, layer
downloads, the report), each saying why, and a recompute serves it again from its square's centre."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence

import h3
import mapbox_vector_tile
import psycopg
import pytest
from psycopg.rows import dict_row
from pyproj import Geod

from geo.deserts.model import Parameters
from geo.deserts.results import MEASURES
from geo.deserts.runs import compute_run, recompute_for_region
from geo.scope import RegionRef
from tests.geo.deserts_data import (
    TEST_CATEGORY,
    add_category,
    add_service,
    near_grid_corner,
    remove_test_data,
    used_point,
)

REGION = "county:29019"  # Boone
COLUMBIA = (-92.334, 38.952)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def tile_categories(client, lon: float, lat: float) -> list[str]:
    x, y = tile_of(lon, lat, 10)
    r = client.get(f"/tiles/deserts/10/{x}/{y}.mvt", params={"category": TEST_CATEGORY})
    assert r.status_code in (200, 204)
    layers = mapbox_vector_tile.decode(r.content) if r.content else {}
    return [f["properties"]["category"] for f in layers.get("deserts", {}).get("features", [])]


def site_cell(body: dict, lon: float, lat: float) -> tuple[float, float, float]:
    """The distance_m of the cell holding (lon, lat), and that cell's centre."""
    cell = h3.latlng_to_cell(lat, lon, 7)
    [feature] = [f for f in body["features"] if f["properties"]["h3"] == cell]
    c_lat, c_lon = h3.cell_to_latlng(cell)
    return feature["properties"]["distance_m"], c_lon, c_lat


def metres(a: Sequence[float], b: Sequence[float]) -> float:
    return Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])[2]


@pytest.fixture
def public_shelter_run(settings) -> Iterator[dict]:
    with psycopg.connect(settings.url(), row_factory=dict_row) as conn:  # type: ignore[arg-type]
        add_category(conn, urban_m=5000, rural_m=5000)
        site = near_grid_corner(*COLUMBIA)
        service_id = add_service(conn, *site, county_fips="29019")
        run_id = compute_run(conn, RegionRef("county", "29019"), categories=[TEST_CATEGORY, "food"],
                             params=Parameters(resolution=7))
        conn.commit()
        yield {"conn": conn, "site": site, "service_id": service_id, "run_id": run_id}
        conn.rollback()
        conn.execute("DELETE FROM desert_run WHERE region_kind = 'county' AND region_code = '29019'")
        remove_test_data(conn)
        conn.commit()


@pytest.mark.parametrize("which", ["service", "location"])
def test_a_shelter_made_confidential_after_a_run_leaves_every_desert_output(client, public_shelter_run, which):
    conn, run_id = public_shelter_run["conn"], public_shelter_run["run_id"]
    lon, lat = public_shelter_run["site"]
    before = client.get("/api/deserts", params={"region": REGION, "category": TEST_CATEGORY}).json()
    distance, *centre = site_cell(before, lon, lat)
    assert before["run"]["id"] == run_id and distance == pytest.approx(metres(centre, (lon, lat)), abs=1)
    assert tile_categories(client, lon, lat)

    if which == "service":
        conn.execute("UPDATE service SET confidential = true WHERE id = %s", [public_shelter_run["service_id"]])
    else:
        conn.execute("""UPDATE location SET confidential = true
                        WHERE id IN (SELECT location_id FROM service_at_location WHERE service_id = %s)""",
                     [public_shelter_run["service_id"]])
    conn.commit()

    for measure in MEASURES:
        r = client.get("/api/deserts", params={"region": REGION, "category": TEST_CATEGORY, "measure": measure})
        assert r.status_code == 200
        body = r.json()
        assert body["features"] == [] and body["run"]["stale"] is True
        assert body["run"]["withheld"].startswith("recompute needed: a site it used is now confidential")
    assert tile_categories(client, lon, lat) == []
    rollups = client.get("/api/rollups", params={"kind": "county", "category": TEST_CATEGORY}).json()
    assert all(r["run_id"] != run_id for r in rollups["rollups"])
    assert [w["run_id"] for w in rollups["withheld"]] == [run_id]
    gaps = client.get("/api/gaps", params={"region": REGION}).json()
    assert TEST_CATEGORY not in gaps["categories"] and TEST_CATEGORY in gaps["withheld"]
    gaps_csv = client.get("/api/gaps", params={"region": REGION, "format": "csv"}).text
    assert TEST_CATEGORY not in {row[0] for row in csv.reader(io.StringIO(gaps_csv))}
    layer = {"region": REGION, "category": TEST_CATEGORY, "measure": "distance"}
    cells = client.get("/api/layers/deserts.geojson", params=layer).json()
    assert cells["features"] == [] and "withheld" in cells["legend"]["note"]
    assert len(client.get("/api/layers/deserts.csv", params=layer).text.strip().splitlines()) <= 1
    shapes = client.get("/api/layers/rollups.geojson", params=layer).json()
    assert all(f["properties"]["run_id"] != run_id for f in shapes["features"])
    report = client.get(f"/report/{REGION}", params={"category": "food"})
    assert report.status_code == 200 and "atlas deserts recompute --region" in report.text  # stale, with the fix named

    recompute_for_region(conn, RegionRef("county", "29019"))
    conn.commit()
    after = client.get("/api/deserts", params={"region": REGION, "category": TEST_CATEGORY}).json()
    assert after["run"]["id"] != run_id and after["run"]["withheld"] is None and after["features"]
    distance, *centre = site_cell(after, lon, lat)  # from its generalised point, not the site
    assert distance == pytest.approx(metres(centre, used_point(conn, RegionRef("county", "29019"), 7)), abs=1)
    assert abs(distance - metres(centre, (lon, lat))) > 500
    assert tile_categories(client, lon, lat)
    assert TEST_CATEGORY in client.get("/api/gaps", params={"region": REGION}).json()["categories"]
