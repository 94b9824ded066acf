"""What-if on a stored run: people newly within reach when services are added, moved or removed,
equal to what a full run with those services would say, and nothing written."""

from __future__ import annotations

import pytest

from geo.deserts.model import Parameters
from geo.deserts.runs import compute_run
from geo.deserts.whatif import Change, what_if
from geo.errors import BadRequest, NotFound
from geo.scope import RegionRef
from tests.geo.deserts_data import TEST_CATEGORY, add_category, add_service

BOONE = RegionRef("county", "29019")
COLUMBIA = (-92.334, 38.952)
CENTRALIA = (-92.138, 39.210)  # north of Boone, beyond 5 km of Columbia


def covered_people(conn, run_id: int) -> float:
    row = conn.execute("""SELECT sum(population) FILTER (WHERE covered) AS p FROM desert_cell
                          WHERE run_id = %s AND category = %s""", [run_id, TEST_CATEGORY]).fetchone()
    return float(row["p"] or 0.0)


@pytest.fixture
def boone(conn):
    add_category(conn, urban_m=5000, rural_m=8000)
    public = add_service(conn, *COLUMBIA, county_fips="29019")
    hidden = add_service(conn, -92.25, 38.85, confidential=True, county_fips="29019")
    run_id = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=Parameters(resolution=7))
    return {"run_id": run_id, "public": public, "hidden": hidden}


def test_adding_a_service_brings_in_the_people_a_run_with_it_would_cover(conn, boone):
    answer = what_if(conn, BOONE, TEST_CATEGORY, [Change("add", *CENTRALIA)])
    add_service(conn, *CENTRALIA, county_fips="29019")
    with_it = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=Parameters(resolution=7))
    gained = covered_people(conn, with_it) - answer["total"]["within_reach_before"]
    assert answer["total"]["newly_within_reach"] == pytest.approx(gained, abs=0.5) and gained > 100
    assert answer["total"]["within_reach_after"] == pytest.approx(covered_people(conn, with_it), abs=0.5)
    assert answer["total"]["newly_beyond_reach"] == 0
    assert [c["code"] for c in answer["counties"]] == ["29019"] and answer["run"]["id"] == boone["run_id"]


def test_moving_and_removing_agree_with_a_full_run(conn, boone):
    moved = what_if(conn, BOONE, TEST_CATEGORY, [Change("move", *CENTRALIA, service_id=boone["public"])])
    removed = what_if(conn, BOONE, TEST_CATEGORY, [Change("remove", service_id=boone["public"])])
    assert removed["total"]["newly_beyond_reach"] > 1000 and removed["total"]["newly_within_reach"] == 0
    conn.execute("""UPDATE location SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326) WHERE id IN (
                        SELECT location_id FROM service_at_location WHERE service_id = %s)""",
                 [*CENTRALIA, boone["public"]])
    after_move = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=Parameters(resolution=7))
    assert moved["total"]["within_reach_after"] == pytest.approx(covered_people(conn, after_move), abs=0.5)
    conn.execute("UPDATE service SET retired_at = now() WHERE id = %s", [boone["public"]])
    after_removal = compute_run(conn, BOONE, categories=[TEST_CATEGORY], params=Parameters(resolution=7))
    assert removed["total"]["within_reach_after"] == pytest.approx(covered_people(conn, after_removal), abs=0.5)


def test_a_confidential_service_cannot_be_moved_or_removed_and_is_answered_as_unknown(conn, boone):
    with pytest.raises(NotFound) as hidden:
        what_if(conn, BOONE, TEST_CATEGORY, [Change("remove", service_id=boone["hidden"])])
    with pytest.raises(NotFound) as unknown:
        what_if(conn, BOONE, TEST_CATEGORY, [Change("remove", service_id="no-such-service")])
    assert str(hidden.value).replace(boone["hidden"], "X") == str(unknown.value).replace("no-such-service", "X")
    with pytest.raises(BadRequest):
        what_if(conn, BOONE, TEST_CATEGORY, [Change("move", service_id=boone["public"])])  # no point
    with pytest.raises(BadRequest):
        what_if(conn, BOONE, TEST_CATEGORY, [])


def rows_written(conn) -> int:
    """Rows this transaction inserted, updated or deleted so far, in any table."""
    return int(conn.execute("""SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) AS n
                               FROM pg_stat_xact_all_tables""").fetchone()["n"])


def test_what_if_writes_nothing(conn, boone):
    written = rows_written(conn)
    what_if(conn, BOONE, TEST_CATEGORY, [Change("add", *CENTRALIA), Change("remove", service_id=boone["public"])])
    assert rows_written(conn) == written > 0
