"""Nearby search on the real PostGIS: true ellipsoidal ordering, every filter, paging edges,
confidential sites never located, open-now across time zones and bad parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from geo.copies import analyze_changed_tables
from geo.copies import refresh_copies as refresh_service_points
from geo.errors import BadRequest
from geo.search import MAX_RADIUS_M, make_filter, nearby_services_json
from tests.search_data import CASPER, ServiceSpec, add_services

LAT, LON = CASPER
# Monday 23 November 2026, 14:30 UTC: 09:30 in New York, 08:30 in Chicago, 07:30 in Denver.
MONDAY_1430_UTC = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


def search(conn, **kw) -> dict:
    kw.setdefault("lat", LAT)
    kw.setdefault("lon", LON)
    kw.setdefault("radius_m", 20_000)
    filters = make_filter(**{k: kw.pop(k) for k in list(kw) if k in
                             ("category", "stage", "language", "cost", "age", "open_now")})
    return json.loads(nearby_services_json(conn, filters=filters, **kw))


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["contents"]]


def test_results_are_ordered_by_ellipsoidal_distance_not_degrees_or_the_sphere(conn):
    # 0.01° north is ~1,110.8 m on the ellipsoid; 0.013615° east is ~1,112.9 m on the ellipsoid but
    # ~1,109.9 m on the sphere the KNN operator uses. Planar degrees would rank "east far" first.
    add_services(conn, [
        ServiceSpec("north", LAT + 0.01, LON),
        ServiceSpec("east", LAT, LON + 0.013615),
        ServiceSpec("east far", LAT, LON + 0.0095 * 1.5),  # 0.01425° east: ~1,165 m
        ServiceSpec("south far", LAT - 0.03, LON),
    ])
    page = search(conn, per_page=1)
    assert names(page) == ["north"]
    full = search(conn)
    assert names(full) == ["north", "east", "east far", "south far"]
    expected = {
        r["name"]: r["d"] for r in conn.execute(
            """SELECT s.name, ST_Distance(l.geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) AS d
               FROM service s JOIN service_at_location sal ON sal.service_id = s.id
               JOIN location l ON l.id = sal.location_id WHERE s.source = 'search-test'""", [LON, LAT])
    }
    assert [item["distance_m"] for item in full["contents"]] == [round(expected[n]) for n in names(full)]
    assert full["contents"][0]["distance_m"] == pytest.approx(1111, abs=2)
    # Page by page, one at a time, still in true order.
    paged = [names(search(conn, per_page=1, page=p))[0] for p in range(1, 5)]
    assert paged == names(full)


def test_radius_is_metres_on_the_ellipsoid(conn):
    add_services(conn, [ServiceSpec("north", LAT + 0.01, LON)])  # 1,110.8 m
    assert names(search(conn, radius_m=1_112)) == ["north"]
    assert names(search(conn, radius_m=1_109)) == []


def test_each_filter_keeps_only_matching_services(conn):
    add_services(conn, [
        ServiceSpec("pantry", LAT + 0.001, LON, category="food", stages=["prevention"], languages=["en"]),
        ServiceSpec("clinic", LAT + 0.002, LON, category="mental-health", stages=["court"],
                    languages=["en", "es"], cost="sliding scale"),
        ServiceSpec("daycare", LAT + 0.003, LON, category="child-care", ages=(0, 5), cost="insurance"),
        ServiceSpec("weekend", LAT + 0.004, LON, hours=[("SA,SU", "10:00", "14:00", "America/Denver")]),
    ])
    assert names(search(conn, category="mental-health")) == ["clinic"]
    assert names(search(conn, stage="court")) == ["clinic"]
    assert names(search(conn, language="es")) == ["clinic"]
    assert names(search(conn, language="ES")) == ["clinic"]
    assert names(search(conn, cost="sliding scale")) == ["clinic"]
    assert names(search(conn, cost="sliding-scale")) == ["clinic"]
    assert names(search(conn, cost="insurance")) == ["daycare"]
    assert names(search(conn, cost="free")) == ["pantry", "weekend"]
    assert names(search(conn, age=30)) == ["pantry", "clinic", "weekend"]
    assert names(search(conn, age=3)) == ["pantry", "clinic", "daycare", "weekend"]
    # 10:00 in Denver on a Monday: the weekday services are open, the weekend one is not.
    monday_10 = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    assert names(search(conn, open_now=True, at=monday_10)) == ["pantry", "clinic", "daycare"]
    assert names(search(conn, category="food", language="es")) == []


def test_open_now_uses_each_schedules_time_zone(conn):
    add_services(conn, [
        ServiceSpec("new york office", LAT + 0.001, LON, hours=[("MO,TU,WE,TH,FR", "09:00", "17:00", "America/New_York")]),
        ServiceSpec("chicago office", LAT + 0.002, LON, hours=[("MO,TU,WE,TH,FR", "09:00", "17:00", "America/Chicago")]),
        ServiceSpec("night line", LAT + 0.003, LON, hours=[("SU", "22:00", "10:00", "America/Chicago")]),
    ])
    # 09:30 in New York, 08:30 in Chicago; the Sunday-night line runs until 10:00 Monday.
    page = search(conn, open_now=True, at=MONDAY_1430_UTC)
    assert names(page) == ["new york office", "night line"]
    everyone = search(conn, at=MONDAY_1430_UTC)
    assert {i["name"]: i["open_now"] for i in everyone["contents"]} == {
        "new york office": True, "chicago office": False, "night line": True}
    # Two hours later Chicago is open and the night line closed (10:30 there).
    assert names(search(conn, open_now=True, at=datetime(2026, 11, 23, 16, 30, tzinfo=UTC))) == [
        "new york office", "chicago office"]
    # In July (daylight time) the same 14:30 UTC is 09:30 in Chicago: open.
    assert names(search(conn, open_now=True, at=datetime(2026, 7, 20, 14, 30, tzinfo=UTC))) == [
        "new york office", "chicago office", "night line"]


def test_open_now_follows_monthly_rules_and_seasons_in_local_time(conn):
    denver = "America/Denver"  # December 2026: Saturdays 5, 12, 19, 26; Fridays 4, 11, 18, 25
    add_services(conn, [
        ServiceSpec("second saturday pantry", LAT + 0.001, LON,
                    hours=[("2SA", "10:00", "12:00", denver, {"freq": "MONTHLY"})]),
        ServiceSpec("last friday clinic", LAT + 0.002, LON,
                    hours=[("-1FR", "13:00", "15:00", denver, {"freq": "MONTHLY"})]),
        ServiceSpec("first and fifteenth", LAT + 0.003, LON,
                    hours=[("", "09:00", "17:00", denver, {"freq": "MONTHLY", "bymonthday": "1,15"})]),
        ServiceSpec("summer meals", LAT + 0.004, LON,
                    hours=[("MO,TU,WE,TH,FR", "11:00", "13:00", denver,
                            {"valid_from": "2026-06-01", "valid_to": "2026-08-31"})]),
        ServiceSpec("last saturday late", LAT + 0.005, LON,
                    hours=[("-1SA", "22:00", "02:00", denver, {"freq": "MONTHLY"})]),
        ServiceSpec("weekday office", LAT + 0.006, LON),  # MO-FR 09:00-17:00 Denver, all year
    ])

    def open_at(*utc: int) -> list[str]:
        return names(search(conn, open_now=True, at=datetime(*utc, tzinfo=UTC)))

    assert open_at(2026, 12, 12, 17, 30) == ["second saturday pantry"]  # Sat 12th, 10:30 MST
    assert open_at(2026, 12, 5, 17, 30) == []  # the first Saturday
    assert open_at(2026, 12, 25, 20, 30) == ["last friday clinic", "weekday office"]  # 13:30 on the 25th
    assert open_at(2026, 12, 18, 20, 30) == ["weekday office"]  # a Friday, not the last
    assert open_at(2026, 12, 15, 19, 0) == ["first and fifteenth", "weekday office"]  # Tue 15th, noon
    assert open_at(2027, 1, 1, 16, 0) == ["first and fifteenth", "weekday office"]  # Fri 1st, 09:00
    assert open_at(2026, 7, 20, 17, 30) == ["summer meals", "weekday office"]  # Mon 20 July, 11:30 MDT
    assert open_at(2026, 12, 14, 18, 30) == ["weekday office"]  # the same Monday hour, out of season
    assert open_at(2026, 12, 27, 8, 0) == ["last saturday late"]  # 01:00 after the last Saturday
    assert open_at(2026, 12, 20, 8, 0) == []  # 01:00 after the 19th: not the last Saturday
    everyone = search(conn, at=datetime(2026, 12, 12, 17, 30, tzinfo=UTC))
    assert {i["name"]: i["open_now"] for i in everyone["contents"]} == {
        "second saturday pantry": True, "last friday clinic": False, "first and fifteenth": False,
        "summer meals": False, "last saturday late": False, "weekday office": False}
    pantry = everyone["contents"][0]["hours"][0]
    assert (pantry["freq"], pantry["byday"], pantry["valid_from"]) == ("MONTHLY", "2SA", None)


def test_a_change_made_outside_the_app_is_in_search_on_the_next_read(conn):
    """psql or a script calls nothing: the search table still follows, so a site made confidential
    is never found at its street point, nor a retired or closed service at all."""
    ids = add_services(conn, [ServiceSpec(n, LAT + 0.001 * k, LON) for k, n in
                              enumerate(["new shelter", "closing pantry", "retired clinic", "moved office"], 1)])
    sal = {name: conn.execute("SELECT service_id, location_id FROM service_at_location WHERE id = %s",
                              [i]).fetchone() for name, i in ids.items()}
    assert names(search(conn)) == ["new shelter", "closing pantry", "retired clinic", "moved office"]
    conn.execute("UPDATE location SET confidential = true WHERE id = %s", [sal["new shelter"]["location_id"]])
    conn.execute("UPDATE service SET status = 'inactive' WHERE id = %s", [sal["closing pantry"]["service_id"]])
    conn.execute("UPDATE service SET retired_at = now() WHERE id = %s", [sal["retired clinic"]["service_id"]])
    conn.execute("UPDATE location SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326) WHERE id = %s",
                 [LON, LAT + 0.05, sal["moved office"]["location_id"]])
    conn.execute("UPDATE service SET name = 'renamed' WHERE id = %s", [sal["retired clinic"]["service_id"]])
    assert names(search(conn)) == ["moved office"]  # within 20 km; the shelter is at its county's point
    page = search(conn, radius_m=200_000)
    found = {item["name"]: item for item in page["contents"]}
    assert set(found) == {"new shelter", "moved office"}
    shelter, moved = found["new shelter"], found["moved office"]
    assert shelter["confidential"] and shelter["location"] is None and shelter["distance_m"] is None
    assert moved["distance_m"] == pytest.approx(5550, rel=0.01)


def test_paging_edges_follow_the_hsds_page_shape(conn):
    add_services(conn, [ServiceSpec(f"s{i}", LAT + 0.001 * i, LON) for i in range(1, 6)])
    first = search(conn, per_page=2)
    assert {k: v for k, v in first.items() if k != "contents"} == {
        "total_items": 5, "total_items_is_lower_bound": False, "total_pages": 3, "page_number": 1, "size": 2,
        "first_page": True, "last_page": False, "empty": False}
    assert names(first) == ["s1", "s2"]
    last = search(conn, per_page=2, page=3)
    assert names(last) == ["s5"] and last["last_page"] and not last["first_page"] and last["size"] == 1
    beyond = search(conn, per_page=2, page=4)
    assert beyond["empty"] and beyond["contents"] == [] and beyond["total_items"] == 5
    exact = search(conn, per_page=5)
    assert exact["total_pages"] == 1 and exact["first_page"] and exact["last_page"]
    none = search(conn, category="legal-aid")
    assert none == {"total_items": 0, "total_items_is_lower_bound": False, "total_pages": 0, "page_number": 1,
                    "size": 0, "first_page": True, "last_page": True, "empty": True, "contents": []}
    for bad in ({"per_page": 0}, {"per_page": 101}, {"page": 0}):
        with pytest.raises(BadRequest):
            search(conn, **bad)


def test_confidential_sites_are_listed_without_point_address_or_precise_distance(conn):
    shelter = (LAT + 0.0123, LON - 0.0234)
    add_services(conn, [
        ServiceSpec("safe house", *shelter, category="domestic-violence", confidential=True,
                    address="77 Hidden Ln"),
        ServiceSpec("advocacy office", LAT + 0.001, LON, category="domestic-violence"),
    ])
    page = search(conn, category="domestic-violence", radius_m=60_000)
    item = next(i for i in page["contents"] if i["name"] == "safe house")
    assert item["confidential"] and item["location"] is None and item["distance_m"] is None
    assert item["distance_band"].endswith("(county-level)")
    assert item["phones"][0]["number"] == "(307) 555-0100" and item["how_to_get_help"]
    assert item["county"]["name"] == "Natrona County"
    text = json.dumps(page)
    for secret in ("77 Hidden Ln", f"{shelter[0]:.4f}", f"{shelter[1]:.4f}"):
        assert secret not in text
    # The search table and its copy per category hold the county's point, not the site's: no radius
    # probe can find it.
    rows = conn.execute(
        """SELECT ST_Distance(x.geog, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) AS d
           FROM service_point sp,
                LATERAL (SELECT sp.geog UNION ALL SELECT c.geog FROM service_point_category c WHERE c.id = sp.id) x
           WHERE sp.confidential AND sp.doc->>'name' = 'safe house'""", shelter[::-1]).fetchall()
    assert len(rows) == 2 and all(r["d"] > 5_000 for r in rows)  # the row and its domestic-violence copy
    probe = search(conn, lat=shelter[0], lon=shelter[1], radius_m=1_000, category="domestic-violence")
    assert "safe house" not in names(probe)


def test_bad_parameters_say_what_to_do(conn):
    with pytest.raises(BadRequest, match="unknown category 'bowling'.*food"):
        search(conn, category="bowling")
    with pytest.raises(BadRequest, match="unknown stage 'nap'.*prevention"):
        search(conn, stage="nap")
    with pytest.raises(BadRequest, match=f"at most {MAX_RADIUS_M}"):
        search(conn, radius_m=MAX_RADIUS_M + 1)
    with pytest.raises(BadRequest, match="cost"):
        search(conn, cost="cheap")
    with pytest.raises(BadRequest, match="age"):
        search(conn, age=200)


def test_refresh_drops_retired_services_and_deleted_ones_cascade(conn):
    ids = add_services(conn, [ServiceSpec("keep", LAT + 0.001, LON), ServiceSpec("retire", LAT + 0.002, LON),
                              ServiceSpec("delete", LAT + 0.003, LON)])
    assert names(search(conn)) == ["keep", "retire", "delete"]
    conn.execute("UPDATE service SET retired_at = now() WHERE name = 'retire'")
    conn.execute("DELETE FROM service WHERE name = 'delete'")
    # Both gone at once: the retired one by migration 0010's trigger, the deleted one by ON DELETE CASCADE.
    assert names(search(conn)) == ["keep"]
    refresh_service_points(conn)  # the full rebuild, as after a load
    assert names(search(conn)) == ["keep"]
    assert conn.execute("SELECT count(*) AS n FROM service_point WHERE id = %s", [ids["retire"]]).fetchone()["n"] == 0
    total = conn.execute("SELECT count(*) AS n FROM service_point").fetchone()["n"]
    assert total >= 3000  # the sample services came back with it


def test_full_and_per_service_refresh_build_identical_rows(conn):
    # One SQL builds the rows for a full rebuild (after a load) and for listed services (after an
    # edit): restricted to a few services it must build exactly what the full rebuild does, for
    # shared and confidential sites, several locations, counties with a court and empty details.
    add_services(conn, [
        ServiceSpec("shelter", LAT + 0.01, LON, category="domestic-violence", confidential=True,
                    stages=["aftercare", "prevention", "court"], languages=["es", "EN", "en"],
                    hours=[("FR,SA", "22:00", "02:00", "America/Denver"), ("MO", "09:00", "23:59", "America/Denver")]),
        ServiceSpec("clinic", LAT + 0.02, LON, category="mental-health", cost="sliding scale", ages=(12, 25)),
        ServiceSpec("bare", LAT + 0.03, LON),
    ])
    sid = {r["name"]: r["id"] for r in conn.execute(
        "SELECT name, id FROM service WHERE source = 'search-test'")}
    clinic_loc = conn.execute("SELECT location_id FROM service_at_location WHERE service_id = %s",
                              [sid["clinic"]]).fetchone()["location_id"]
    # The clinic's second site is in Kansas City (Jackson County, circuit MO-16); the shelter also
    # works there. The first site's postal address sorts before its physical ones.
    conn.execute("""INSERT INTO location (id, name, geom, county_fips, source, source_id)
                    VALUES ('kc-site', 'KC', ST_SetSRID(ST_MakePoint(-94.5786, 39.0997), 4326), '29095',
                            'search-test', 'kc-site')""")
    conn.execute("""INSERT INTO service_at_location (id, service_id, location_id, source)
                    VALUES ('kc-clinic', %s, 'kc-site', 'search-test'), ('kc-shelter', %s, 'kc-site', 'search-test')""",
                 [sid["clinic"], sid["shelter"]])
    conn.execute("""INSERT INTO address (id, location_id, address_1, city, state_province, postal_code, address_type)
                    VALUES ('a0', %(l)s, 'PO Box 1', 'Casper', 'WY', '82602', 'postal'),
                           ('zz', %(l)s, '9 Later St', 'Casper', 'WY', '82609', 'physical'),
                           ('kc', 'kc-site', '1 Grand Blvd', 'Kansas City', 'MO', '64106', 'physical')""",
                 {"l": clinic_loc})
    conn.execute("INSERT INTO phone (id, service_id, number) VALUES ('0-first', %s, '(307) 555-0199')",
                 [sid["clinic"]])
    conn.execute("""INSERT INTO cost_option (service_id, option, amount, currency) VALUES (%s, 'fee', 12.50, 'USD')""",
                 [sid["clinic"]])
    conn.execute("""INSERT INTO attribute (link_id, taxonomy_term_id, link_entity)
                    SELECT %s, id, 'service' FROM taxonomy_term WHERE code = 'crisis-line'""", [sid["clinic"]])
    for table in ("phone", "schedule", "language", "cost_option", "service_stage"):
        conn.execute(f"DELETE FROM {table} WHERE service_id = %s", [sid["bare"]])  # noqa: S608
    conn.execute("DELETE FROM attribute WHERE link_id = %s", [sid["bare"]])
    ids = list(sid.values())

    def rows() -> list[dict]:
        return conn.execute(
            """SELECT id, service_id, location_id, organization_id, geog::text AS geog, confidential, categories,
                      stages, languages, costs, minimum_age, maximum_age, county_fips, postal_code, tz_name,
                      open_week::text AS open_week, doc
               FROM service_point WHERE service_id = ANY(%s) ORDER BY id""", [ids]).fetchall()

    refresh_service_points(conn, ids)
    listed = rows()
    for one in ids:
        refresh_service_points(conn, [one])
    one_by_one = rows()
    refresh_service_points(conn)
    full = rows()
    assert listed == one_by_one == full
    by_id = {r["id"]: r for r in full}
    assert len(full) == 5
    kc_clinic, kc_shelter = by_id["kc-clinic"], by_id["kc-shelter"]
    assert kc_clinic["doc"]["court"] == {"kind": "circuit", "code": "MO-16",
                                         "name": kc_clinic["doc"]["court"]["name"]}
    assert kc_clinic["postal_code"] == "64106" and kc_clinic["categories"] == ["crisis-line", "mental-health"]
    assert kc_clinic["doc"]["phones"][0]["number"] == "(307) 555-0199"  # ordered by id
    assert kc_clinic["doc"]["how_to_get_help"] == "Call (307) 555-0199"
    assert kc_clinic["costs"] == ["fee", "sliding scale"] and float(kc_clinic["minimum_age"]) == 12
    clinic = next(r for r in full if r["service_id"] == sid["clinic"] and r["id"] != "kc-clinic")
    assert clinic["postal_code"] == "82601"  # the physical address first, then the lowest id
    assert clinic["doc"]["location"]["address"]["address_1"] == "1 Test St"
    # Confidential: the county's point, no address or postcode, at either site.
    assert kc_shelter["confidential"] and kc_shelter["postal_code"] is None and kc_shelter["doc"]["location"] is None
    county_point = conn.execute(
        """SELECT ST_PointOnSurface(geom)::geography::text AS p FROM region
           WHERE kind = 'county' AND code = '29095'""").fetchone()["p"]
    assert kc_shelter["geog"] == county_point and kc_shelter["doc"]["court"]["code"] == "MO-16"
    shelter = next(r for r in full if r["service_id"] == sid["shelter"] and r["id"] != "kc-shelter")
    assert shelter["stages"] == ["prevention", "court", "aftercare"]  # the landscape's order
    assert shelter["languages"] == ["en", "es"]
    # Friday and Saturday 22:00-02:00 wrap into the next morning; Monday runs to midnight.
    assert shelter["open_week"] == "{[32400,86400),[424800,439200),[511200,525600)}"
    bare = next(r for r in full if r["service_id"] == sid["bare"])
    assert bare["categories"] == bare["stages"] == bare["languages"] == bare["costs"] == []
    assert bare["open_week"] is None and bare["tz_name"] is None
    assert {k: bare["doc"][k] for k in ("categories", "phones", "hours", "languages", "cost_options",
                                        "how_to_get_help")} == {
        "categories": [], "phones": [], "hours": [], "languages": [], "cost_options": [], "how_to_get_help": None}


def test_full_refresh_first_analyzes_what_this_transaction_loaded(conn):
    # Autovacuum cannot see a load that has not committed: the rebuild's own ANALYZE must, or it
    # plans for empty tables.
    add_services(conn, [ServiceSpec(f"s{i}", LAT + 0.001 * i, LON) for i in range(1, 4)])
    analyzed = analyze_changed_tables(conn)
    assert {"service", "location", "service_at_location", "address", "phone", "schedule", "language",
            "attribute", "service_stage", "organization", "cost_option"} <= set(analyzed)
    stats = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'service'").fetchone()
    assert stats["reltuples"] == conn.execute("SELECT count(*) AS n FROM service").fetchone()["n"]


def test_refreshing_a_long_list_of_services_first_analyzes_what_this_transaction_loaded(conn):
    # A listed refresh of a mid-size import plans on statistics that know its rows too (seven
    # services: a row count no other test leaves behind in the statistics).
    add_services(conn, [ServiceSpec(f"s{i}", LAT + 0.001 * i, LON) for i in range(1, 8)])
    ids = [r["id"] for r in conn.execute("SELECT id FROM service WHERE source = 'search-test'")]
    refresh_service_points(conn, ids + [f"not-loaded-{i}" for i in range(500)])  # over 500: analyse first
    stats = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'location'").fetchone()
    assert stats["reltuples"] == conn.execute("SELECT count(*) AS n FROM location").fetchone()["n"]
    assert conn.execute("SELECT count(*) AS n FROM service_point WHERE service_id = ANY(%s)",
                        [ids]).fetchone()["n"] == 7


def test_a_radius_in_whole_metres_shares_the_prepared_search_of_a_float_radius(conn):
    # /find asks in whole kilometres (an int), the API in metres as a float: one prepared statement
    # serves both, its radius arithmetic in double precision (an int parameter made it numeric).
    add_services(conn, [ServiceSpec("near", LAT + 0.01, LON)])
    pages = [search(conn, radius_m=radius) for radius in (20_000, 20_000.0) for _ in range(2)]
    assert all(page == pages[0] for page in pages)
    assert names(pages[0]) == ["near"]
    prepared = conn.execute(
        "SELECT parameter_types::text AS types FROM pg_prepared_statements WHERE statement LIKE '%%service_map_cell%%'"
    ).fetchall()
    assert len(prepared) == 1, prepared
