"""Finer population (tracts or block groups) replaces the default model inside the loaded areas."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from geo.deserts.model import Parameters
from geo.deserts.population import load_population_areas
from geo.deserts.runs import compute_run, data_version
from geo.errors import ValidationFailed
from geo.scope import RegionRef

WEST_TRACT = (-92.40, 38.90, -92.30, 38.98)
EAST_TRACT = (-92.30, 38.90, -92.20, 38.98)


def write_areas(tmp_path, features: list[dict]):
    path = tmp_path / "tracts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def tract(geoid, population, box) -> dict:
    return {"type": "Feature", "properties": {"GEOID": geoid, "POP": population},
            "geometry": shapely.geometry.mapping(shapely.box(*box))}


def test_loaded_tracts_replace_the_default_population_inside_them(conn, tmp_path):
    path = write_areas(tmp_path, [tract("29019000100", 12_000, WEST_TRACT), tract("29019000200", 8000, EAST_TRACT)])
    assert load_population_areas(conn, path, geoid_field="GEOID", population_field="POP") == 2
    run_id = compute_run(conn, RegionRef("county", "29019"), categories=["food"], params=Parameters(resolution=7))
    cells = conn.execute(
        """SELECT u.lon, u.lat, u.population  -- cell centres, as the surface stores them (migration 0017)
           FROM desert_run r JOIN desert_surface_block b ON b.surface_id = r.surface_id
           CROSS JOIN LATERAL unnest(b.lon, b.lat, b.population) AS u(lon, lat, population)
           WHERE r.id = %s""", [run_id]).fetchall()
    lon = np.array([c["lon"] for c in cells])
    lat = np.array([c["lat"] for c in cells])
    pop = np.array([c["population"] for c in cells])
    for box, people in ((WEST_TRACT, 12_000), (EAST_TRACT, 8000)):
        inside = shapely.contains_xy(shapely.box(*box), lon, lat)
        assert inside.sum() > 10
        assert pop[inside].sum() == pytest.approx(people)
        assert pop[inside] == pytest.approx(np.full(inside.sum(), people / inside.sum()))
    run = conn.execute("SELECT parameters FROM desert_run WHERE id = %s", [run_id]).fetchone()
    assert run["parameters"]["cells_from_population_areas"] > 20


def test_loading_population_areas_makes_earlier_runs_stale(conn, tmp_path):
    run_id = compute_run(conn, RegionRef("county", "29019"), categories=["food"], params=Parameters(resolution=6))
    run = conn.execute("SELECT data_version FROM desert_run WHERE id = %s", [run_id]).fetchone()
    assert data_version(conn) == run["data_version"]
    load_population_areas(conn, write_areas(tmp_path, [tract("29019000100", 12_000, WEST_TRACT)]),
                          geoid_field="GEOID", population_field="POP")
    assert data_version(conn) != run["data_version"]


def test_a_bad_population_file_is_refused_with_line_and_field_and_nothing_loads(conn, tmp_path):
    path = write_areas(tmp_path, [
        tract("29019000100", 12_000, WEST_TRACT),
        tract("29019000100", 500, EAST_TRACT),  # listed twice
        tract("29019000300", -5, EAST_TRACT),  # negative
        tract("29019000400", "many", EAST_TRACT),  # not a number
    ])
    with pytest.raises(ValidationFailed) as failed:
        load_population_areas(conn, path, geoid_field="GEOID", population_field="POP")
    found = {(e.line, e.field) for e in failed.value.errors}
    assert found == {(2, "GEOID"), (3, "POP"), (4, "POP")}
    with pytest.raises(ValidationFailed) as missing:
        load_population_areas(conn, path, geoid_field="GEOID", population_field="TOTAL")
    assert missing.value.errors[0].field == "TOTAL"
    assert conn.execute("SELECT count(*) AS n FROM desert_population_area").fetchone()["n"] == 0
