"""Vector tiles, decoded with mapbox_vector_tile: features and properties, the feature limit,
low-zoom aggregation, TileJSON, and never a confidential service."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest

from geo.tiles import render_tile

MVT = "application/vnd.mapbox-vector-tile"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data) if data else {}


def densest_tile(conn, z: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    row = conn.execute(
        """SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM location l
           WHERE NOT confidential AND left(county_fips, 2) = '29'
           ORDER BY (SELECT count(*) FROM location o WHERE ST_DWithin(o.geom, l.geom, 0.05)) DESC LIMIT 1"""
    ).fetchone()
    return tile_of(row["lon"], row["lat"], z)


def test_a_high_zoom_services_tile_has_public_points_with_their_properties(client, conn):
    x, y = densest_tile(conn, 12)
    response = client.get(f"/tiles/services/12/{x}/{y}.mvt")
    assert response.status_code == 200 and response.headers["content-type"] == MVT
    features = decode(response.content)["services"]["features"]
    assert len(features) > 5
    props = features[0]["properties"]
    assert {"id", "name", "organization", "categories", "stages", "is_sample"} <= set(props)
    assert props["name"].startswith("Sample: ") and features[0]["geometry"]["type"] == "Point"
    ids = [f["properties"]["id"] for f in features]
    public = conn.execute(
        """SELECT count(*) AS n FROM service s WHERE s.id = ANY(%s) AND NOT s.confidential""", [ids]
    ).fetchone()["n"]
    assert public == len(ids)


def test_the_feature_limit_caps_a_dense_tile(conn):
    x, y = densest_tile(conn, 12)
    everything = decode(render_tile(conn, "services", 12, x, y, feature_limit=100_000))["services"]["features"]
    capped = decode(render_tile(conn, "services", 12, x, y, feature_limit=7))["services"]["features"]
    assert len(everything) > 7 and len(capped) == 7


@pytest.mark.parametrize("z", [6, 8, 9])  # precomputed cell levels 7 and 9, added up 2×2 or read as they are
def test_low_zoom_tiles_carry_counts_that_add_up_to_the_public_services(client, conn, z):
    x, y = tile_of(-90.3, 38.6, z)  # St. Louis; at zoom 6 all of Missouri
    features = decode(client.get(f"/tiles/services/{z}/{x}/{y}.mvt").content)["services"]["features"]
    assert all(set(f["properties"]) == {"point_count"} for f in features)  # no names at low zoom
    public = conn.execute(
        """SELECT count(*) AS n FROM service s JOIN service_at_location sal ON sal.service_id = s.id
           JOIN location l ON l.id = sal.location_id
           WHERE NOT s.confidential AND NOT l.confidential
             AND l.geom && ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326)""",
        [z, x, y]).fetchone()["n"]
    assert sum(f["properties"]["point_count"] for f in features) == public
    assert len(features) < (public / 2 if z == 6 else public)  # aggregated, not every point
    filtered = decode(client.get(f"/tiles/services/{z}/{x}/{y}.mvt?category=food").content)["services"]["features"]
    assert 0 < sum(f["properties"]["point_count"] for f in filtered) < public


def test_confidential_services_are_in_no_tile_at_any_zoom(client, conn):
    shelters = conn.execute(
        """SELECT s.id, ST_X(l.geom) AS lon, ST_Y(l.geom) AS lat FROM service s
           JOIN service_at_location sal ON sal.service_id = s.id JOIN location l ON l.id = sal.location_id
           WHERE s.confidential OR l.confidential LIMIT 5"""
    ).fetchall()
    assert shelters
    for shelter in shelters:
        for z in (12, 14, 16):
            x, y = tile_of(shelter["lon"], shelter["lat"], z)
            layer = decode(client.get(f"/tiles/services/{z}/{x}/{y}.mvt").content).get("services", {"features": []})
            assert shelter["id"] not in {f["properties"].get("id") for f in layer["features"]}
            ids = [f["properties"]["id"] for f in layer["features"]]
            hidden = conn.execute("SELECT count(*) AS n FROM service WHERE id = ANY(%s) AND confidential",
                                  [ids]).fetchone()["n"]
            assert hidden == 0


def test_a_service_made_confidential_leaves_the_tiles_at_once(client, committed_conn):
    row = committed_conn.execute(
        """SELECT s.id, ST_X(l.geom) AS lon, ST_Y(l.geom) AS lat FROM service s
           JOIN service_at_location sal ON sal.service_id = s.id JOIN location l ON l.id = sal.location_id
           WHERE NOT s.confidential AND NOT l.confidential ORDER BY s.id LIMIT 1""").fetchone()
    x, y = tile_of(row["lon"], row["lat"], 14)
    url = f"/tiles/services/14/{x}/{y}.mvt"
    assert row["id"] in {f["properties"]["id"] for f in decode(client.get(url).content)["services"]["features"]}
    try:
        committed_conn.execute("UPDATE service SET confidential = true WHERE id = %s", [row["id"]])
        layer = decode(client.get(url).content).get("services", {"features": []})
        assert row["id"] not in {f["properties"]["id"] for f in layer["features"]}
    finally:
        committed_conn.execute("UPDATE service SET confidential = false WHERE id = %s", [row["id"]])


def test_county_and_court_tiles_carry_region_outlines(client):
    x, y = tile_of(-92.3, 38.9, 8)
    counties = decode(client.get(f"/tiles/counties/8/{x}/{y}.mvt").content)["counties"]["features"]
    assert "29019" in {f["properties"]["code"] for f in counties}
    courts = decode(client.get(f"/tiles/courts/8/{x}/{y}.mvt").content)["courts"]["features"]
    assert "MO-13" in {f["properties"]["code"] for f in courts}
    assert courts[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_tilejson_describes_the_layer_and_points_at_its_tiles(client):
    doc = client.get("/tiles/services.json?category=food").json()
    assert doc["tilejson"] == "3.0.0" and doc["vector_layers"][0]["id"] == "services"
    assert doc["tiles"][0].endswith("/tiles/services/{z}/{x}/{y}.mvt?category=food")
    west, south, east, north = doc["bounds"]
    assert west < -95 and east > -70 and south < 37 and north > 42  # Missouri and Massachusetts


def test_bad_tile_addresses_and_layers_are_refused(client):
    assert client.get("/tiles/services/3/8/0.mvt").status_code == 404
    assert client.get("/tiles/services/30/0/0.mvt").status_code == 400
    assert client.get("/tiles/nope/3/1/1.mvt").status_code == 404
    x, y = tile_of(150.0, -30.0, 10)  # Australia: nothing there
    assert client.get(f"/tiles/services/10/{x}/{y}.mvt").status_code == 204


def test_desert_tiles_draw_one_resolution_the_newest_runs(conn):
    import h3

    from geo.deserts.store import store_cells

    conn.execute("TRUNCATE desert_run CASCADE")  # only this test's runs, until rollback
    lat, lon = 38.9517, -92.3341  # Columbia, MO
    for resolution, age in ((6, "1 day"), (7, "1 hour")):
        run = conn.execute(
            """INSERT INTO desert_run (region_kind, region_code, category, stage, resolution, parameters,
                   data_version, started_at, finished_at, status, cells)
               VALUES ('state', '29', 'food', NULL, %s, jsonb_build_object('categories', '["food"]'::jsonb),
                       'test', now() - %s::interval, now() - %s::interval, 'done', 7) RETURNING id""",
            [resolution, age, age]).fetchone()["id"]
        cells = h3.grid_disk(h3.latlng_to_cell(lat, lon, resolution), 1)
        store_cells(conn, run, "food", None, h3_cells=cells, county_fips=["29019"] * len(cells),
                    population=[100] * len(cells), urban=[False] * len(cells), distance_m=[5000] * len(cells),
                    urban_m=1609, rural_m=16093, access_2sfca=[0.01] * len(cells),
                    access_e2sfca=[0.01] * len(cells))
    x, y = tile_of(lon, lat, 9)
    features = decode(render_tile(conn, "deserts", 9, x, y, category="food"))["deserts"]["features"]
    assert {h3.get_resolution(f["properties"]["h3"]) for f in features} == {7}
    assert len(features) == 7
