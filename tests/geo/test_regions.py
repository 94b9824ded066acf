"""Reference geography against the real PostGIS: counties, circuits, divisions, crosswalk edits."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.errors import ValidationFailed
from geo.regions import (
    crosswalks,
    load_custom_regions,
    regions_at_point,
    regions_geojson,
    reload_crosswalks,
)
from geo.scope import RegionRef


def count(conn, sql: str, *params) -> int:
    return conn.execute(sql, params).fetchone()["n"]


def test_missouri_has_115_counties_including_st_louis_city(conn):
    assert count(conn, "SELECT count(*) AS n FROM region WHERE kind='county' AND state_fips='29'") == 115
    row = conn.execute("SELECT name FROM region WHERE kind='county' AND code='29510'").fetchone()
    assert row["name"] == "St. Louis city"


def test_massachusetts_has_14_counties(conn):
    assert count(conn, "SELECT count(*) AS n FROM region WHERE kind='county' AND state_fips='25'") == 14


def test_county_shapes_are_valid_multipolygons_in_4326(conn):
    row = conn.execute(
        """SELECT count(*) FILTER (WHERE NOT ST_IsValid(geom)) AS invalid,
                  count(*) FILTER (WHERE ST_SRID(geom) <> 4326) AS wrong_srid, count(*) AS n
           FROM region WHERE kind = 'county'"""
    ).fetchone()
    assert row["n"] > 3000 and row["invalid"] == 0 and row["wrong_srid"] == 0


def test_missouri_has_46_circuits_each_county_in_exactly_one(conn):
    assert count(conn, "SELECT count(*) AS n FROM region WHERE kind='circuit' AND state_fips='29'") == 46
    rows = conn.execute(
        """SELECT c.code, count(m.region_id) AS circuits FROM region c
           LEFT JOIN region_member m ON m.member_id = c.id
           LEFT JOIN region g ON g.id = m.region_id AND g.kind = 'circuit'
           WHERE c.kind = 'county' AND c.state_fips = '29' GROUP BY c.code"""
    ).fetchall()
    assert len(rows) == 115
    assert {r["circuits"] for r in rows} == {1}


def test_circuits_cover_missouri_within_a_tenth_of_a_percent(conn):
    # Compared with the Census state outline (an independent shape), in CONUS Albers (EPSG:5070).
    row = conn.execute(
        """SELECT ST_Area(ST_Transform((SELECT ST_Union(geom) FROM region WHERE kind='circuit' AND state_fips='29'), 5070)) AS circuits,
                  ST_Area(ST_Transform((SELECT geom FROM region WHERE kind='state' AND code='29'), 5070)) AS state,
                  ST_Area(ST_Transform(ST_SymDifference(
                      (SELECT ST_Union(geom) FROM region WHERE kind='circuit' AND state_fips='29'),
                      (SELECT geom FROM region WHERE kind='state' AND code='29')), 5070)) AS differ"""
    ).fetchone()
    assert abs(row["circuits"] - row["state"]) / row["state"] < 0.001
    assert row["differ"] / row["state"] < 0.001


def test_circuit_population_is_the_sum_of_its_counties(conn):
    row = conn.execute(
        """SELECT g.population, sum(c.population) AS total FROM region g
           JOIN region_member m ON m.region_id = g.id JOIN region c ON c.id = m.member_id
           WHERE g.kind = 'circuit' AND g.code = 'MO-16' GROUP BY g.population"""
    ).fetchone()
    assert row["population"] == row["total"] > 600_000


def test_massachusetts_has_11_juvenile_court_divisions(conn):
    assert count(conn, "SELECT count(*) AS n FROM region WHERE kind='division' AND state_fips='25'") == 11
    members = conn.execute(
        """SELECT array_agg(c.code ORDER BY c.code) AS counties FROM region g
           JOIN region_member m ON m.region_id = g.id JOIN region c ON c.id = m.member_id
           WHERE g.kind = 'division' AND g.code = 'MA-barnstable'"""
    ).fetchone()
    assert members["counties"] == ["25001", "25007", "25019"]


def test_downtown_kansas_city_is_in_jackson_county_and_the_16th_circuit(conn):
    found = regions_at_point(conn, lon=-94.5786, lat=39.0997)
    assert found["county_fips"] == "29095"
    assert found["court_code"] == "MO-16"
    assert found["court_name"] == "16th Judicial Circuit"


def _snapshot(conn) -> dict[tuple[str, str], tuple]:
    return {
        (r["kind"], r["code"]): (r["hash"], r["population"], r["updated_at"], r["members"])
        for r in conn.execute(
            """SELECT r.kind, r.code, md5(ST_AsEWKB(r.geom)) AS hash, r.population, r.updated_at,
                      (SELECT array_agg(c.code ORDER BY c.code) FROM region_member m
                       JOIN region c ON c.id = m.member_id WHERE m.region_id = r.id) AS members
               FROM region r"""
        )
    }


def test_regions_geojson_scope_keeps_regions_tied_to_it_by_membership_and_none_for_an_unknown_scope(conn):
    def codes(kind: str, scope: RegionRef) -> list[str]:
        return [f["id"] for f in regions_geojson(conn, kind=kind, scope=scope)["features"]]

    assert codes("county", RegionRef("circuit", "MO-13")) == ["29019", "29027"]  # the circuit's counties
    assert codes("circuit", RegionRef("county", "29019")) == ["MO-13"]  # the county's circuit
    assert codes("circuit", RegionRef("circuit", "MO-13")) == ["MO-13"]  # the scope itself
    assert len(codes("county", RegionRef("state", "25"))) == 14  # everything of the kind in the state
    assert codes("county", RegionRef("circuit", "MO-99")) == []
    scoped = regions_geojson(conn, kind="county", scope=RegionRef("circuit", "MO-13"))["features"][0]
    assert scoped["properties"]["member_of"] == ["MO-13"]  # the same properties as unscoped


def test_editing_one_countys_circuit_and_reloading_moves_only_that_county(conn, settings, tmp_path):
    mo = next(c for c in crosswalks(settings.data_dir) if c.kind == "circuit")
    edited = tmp_path / mo.path.name
    shutil.copy(mo.path, edited)
    rows = list(csv.DictReader(edited.open()))
    for row in rows:
        if row["county_fips"] == "29015":  # Benton County: 30th → 27th, as the 2020 realignment proposed
            assert row["circuit"] == "30"
            row["circuit"] = "27"
    with edited.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    before = _snapshot(conn)
    [report] = reload_crosswalks(conn, settings.data_dir, only=edited)
    after = _snapshot(conn)

    assert report.moved == [("29015", "MO-30", "MO-27")]
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {("circuit", "MO-27"), ("circuit", "MO-30")}
    assert "29015" in after[("circuit", "MO-27")][3] and "29015" not in after[("circuit", "MO-30")][3]
    assert regions_at_point(conn, lon=-93.29, lat=38.30)["court_code"] == "MO-27"  # Warsaw, Benton Co.


def test_reloading_an_unchanged_crosswalk_changes_nothing(conn, settings):
    before = _snapshot(conn)
    reports = reload_crosswalks(conn, settings.data_dir)
    assert all(not r.moved and not r.rebuilt for r in reports)
    assert _snapshot(conn) == before


def test_a_crosswalk_with_a_missing_and_a_foreign_county_is_refused_with_reasons(conn, settings, tmp_path):
    mo = next(c for c in crosswalks(settings.data_dir) if c.kind == "circuit")
    lines = mo.path.read_text().splitlines()
    bad = [ln for ln in lines if "29015" not in ln] + ["27,Johnson County,20091"]
    edited = tmp_path / mo.path.name
    edited.write_text("\n".join(bad) + "\n")
    before = _snapshot(conn)
    with pytest.raises(ValidationFailed) as info:
        reload_crosswalks(conn, settings.data_dir, only=edited)
    reasons = {(e.line, e.field, e.reason) for e in info.value.errors}
    assert (116, "county_fips", "20091 is not a county of state 29") in reasons
    assert (0, "county_fips", "county 29015 is in no group") in reasons
    assert _snapshot(conn) == before


@pytest.mark.parametrize("suffix,driver", [(".geojson", "GeoJSON"), (".gpkg", "GPKG"), (".shp", "ESRI Shapefile")])
def test_custom_regions_load_from_gis_files_with_estimated_population(conn, tmp_path, suffix, driver):
    # A box around Columbia, MO (inside Boone County) in Web Mercator, to prove reprojection.
    gdf = gpd.GeoDataFrame(
        {"code": ["como"], "label": ["Columbia area"]},
        geometry=[box(-92.40, 38.90, -92.25, 39.00)], crs=4326,
    ).to_crs(3857)
    path = tmp_path / f"areas{suffix}"
    gdf.to_file(path, driver=driver)
    assert load_custom_regions(conn, path, code_field="code", name_field="label") == 1
    row = conn.execute(
        """SELECT r.name, r.population, ST_SRID(r.geom) AS srid,
                  ST_Within(r.geom, (SELECT geom FROM region WHERE kind='county' AND code='29019')) AS in_boone,
                  (SELECT population FROM region WHERE kind='county' AND code='29019') AS boone
           FROM region r WHERE kind='custom' AND code='como'"""
    ).fetchone()
    assert row["name"] == "Columbia area" and row["srid"] == 4326 and row["in_boone"]
    assert 0 < row["population"] < row["boone"]


def test_custom_regions_name_the_missing_field(conn, tmp_path):
    path = tmp_path / "areas.geojson"
    gpd.GeoDataFrame({"code": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(path)
    with pytest.raises(ValidationFailed) as info:
        load_custom_regions(conn, path, code_field="code", name_field="title")
    assert info.value.errors[0].field == "title"
    assert "no such field" in info.value.errors[0].reason


def test_shipped_crosswalks_keep_their_provenance(settings):
    sources = (settings.data_dir / "SOURCES.md").read_text()
    for c in crosswalks(settings.data_dir):
        assert Path(c.path).exists()
        assert c.path.name in sources
