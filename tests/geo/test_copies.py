"""Derived copies (search rows and their copy per category, map points, tile counts) follow every
write in its own transaction, and always equal a rebuild from scratch."""

from __future__ import annotations

from geo.copies import copies_for_reading, refresh_copies, sync_copies
from geo.importer.apply import remove_source
from geo.sample import SOURCE as SAMPLE_SOURCE
from geo.service_map import service_map_geojson


def _copies(conn) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """Every derived row, comparable (floating sums rounded to the centimetre)."""
    return {
        "service_point": conn.execute(
            """SELECT id, service_id, location_id, geog::text AS geog, confidential, categories, stages,
                      languages, costs, county_fips, postal_code, tz_name, open_week::text AS ow, doc
               FROM service_point ORDER BY id""").fetchall(),
        "service_point_category": conn.execute(
            """SELECT category, id, service_id, geog::text AS geog, stages, languages, costs, minimum_age,
                      maximum_age, tz_name, open_week::text AS ow, open_dated
               FROM service_point_category ORDER BY category, id""").fetchall(),
        "service_map_point": conn.execute(
            "SELECT * FROM service_map_point ORDER BY service_id, location_id").fetchall(),
        "service_map_cell": conn.execute(
            """SELECT level, ix, iy, n, round(sum_x::numeric, 2) AS sx, round(sum_y::numeric, 2) AS sy
               FROM service_map_cell ORDER BY 1, 2, 3""").fetchall(),
    }


def _public_service(conn, county: str = "29019") -> dict:  # type: ignore[no-untyped-def]
    return conn.execute(
        """SELECT s.id, s.organization_id, l.id AS location_id FROM service s
           JOIN service_at_location sal ON sal.service_id = s.id JOIN location l ON l.id = sal.location_id
           WHERE NOT s.confidential AND NOT l.confidential AND l.county_fips = %s
             AND s.retired_at IS NULL AND s.status = 'active'
           ORDER BY s.id LIMIT 1""", [county]).fetchone()


def test_copies_after_raw_sql_writes_to_every_directory_table_equal_a_full_rebuild(conn):
    a, b, c = (_public_service(conn, county) for county in ("29019", "29095", "29189"))
    conn.execute("UPDATE organization SET name = 'Renamed org' WHERE id = %s", [a["organization_id"]])
    conn.execute("UPDATE phone SET number = '(573) 555-0111' WHERE service_id = %s", [a["id"]])
    conn.execute("UPDATE address SET city = 'Elsewhere' WHERE location_id = %s", [b["location_id"]])
    conn.execute("""UPDATE location SET geom = ST_SetSRID(ST_MakePoint(-92.30, 38.95), 4326),
                    latitude = 38.95, longitude = -92.30 WHERE id = %s""", [b["location_id"]])
    conn.execute("UPDATE location SET confidential = true WHERE id = %s", [c["location_id"]])
    conn.execute("DELETE FROM attribute WHERE link_entity = 'service' AND link_id = %s", [a["id"]])
    conn.execute("DELETE FROM service_stage WHERE service_id = %s", [b["id"]])
    conn.execute("INSERT INTO language (service_id, code, name) VALUES (%s, 'vi', 'Vietnamese')", [a["id"]])
    conn.execute("UPDATE service SET retired_at = now() WHERE id = (SELECT id FROM service WHERE id > %s "
                 "AND NOT confidential ORDER BY id LIMIT 1)", [c["id"]])
    conn.execute("UPDATE region SET name = 'Boone County (renamed)' WHERE kind = 'county' AND code = '29019'")
    assert sync_copies(conn) == -1  # a county's name is in every row's text: all of them
    incremental = _copies(conn)
    refresh_copies(conn)
    assert _copies(conn) == incremental
    # The changes are really there (the comparison is not between two stale copies).
    docs = {r["service_id"]: r["doc"] for r in incremental["service_point"]}
    assert docs[a["id"]]["organization"]["name"] == "Renamed org"
    assert any(lang["code"] == "vi" for lang in docs[a["id"]]["languages"])
    assert c["id"] not in {r["service_id"] for r in incremental["service_map_point"]}
    assert a["id"] not in {r["service_id"] for r in incremental["service_point_category"]}  # no category left
    assert b["id"] in {r["service_id"] for r in incremental["service_point_category"]}


def test_a_one_service_edit_rebuilds_only_that_services_copies(conn):
    s = _public_service(conn)
    inserted = """SELECT coalesce(sum(n_tup_ins), 0) AS ins FROM pg_stat_xact_user_tables
                  WHERE relname IN ('service_point', 'service_point_category', 'service_map_point')"""
    categories = conn.execute("SELECT cardinality(categories) AS n FROM service_point WHERE service_id = %s",
                              [s["id"]]).fetchone()["n"]
    assert categories >= 1
    before = conn.execute(inserted).fetchone()["ins"]
    conn.execute("UPDATE service SET name = 'Renamed clinic' WHERE id = %s", [s["id"]])
    assert sync_copies(conn) == 1
    after = conn.execute(inserted).fetchone()["ins"]
    # one search row, its row per category and one map point, not the whole directory
    assert after - before == 2 + categories
    assert sync_copies(conn) == 0  # nothing left for the COMMIT to do


def test_a_reader_in_the_writing_transaction_sees_its_own_change(conn):
    s = _public_service(conn)
    conn.execute("UPDATE service SET name = 'Renamed clinic' WHERE id = %s", [s["id"]])
    names = {f["properties"]["id"]: f["properties"]["name"]
             for f in service_map_geojson(conn, county_fips=["29019"])["features"]}
    assert names[s["id"]] == "Renamed clinic"
    conn.execute("UPDATE location SET confidential = true WHERE id = %s", [s["location_id"]])
    copies_for_reading(conn)
    assert s["id"] not in {f["properties"]["id"] for f in service_map_geojson(conn, county_fips=["29019"])["features"]}
    row = conn.execute("SELECT confidential, postal_code FROM service_point WHERE service_id = %s",
                       [s["id"]]).fetchone()
    assert row["confidential"] and row["postal_code"] is None


def test_low_zoom_counts_follow_points_in_and_out(conn):
    def total(level: int) -> int:
        return conn.execute("SELECT coalesce(sum(n), 0) AS n FROM service_map_cell WHERE level = %s",
                            [level]).fetchone()["n"]

    public = conn.execute("SELECT count(*) AS n FROM service_map_point").fetchone()["n"]
    assert total(7) == total(9) == total(11) == public
    s = _public_service(conn)
    conn.execute("UPDATE service SET confidential = true WHERE id = %s", [s["id"]])
    sync_copies(conn)
    assert total(7) == total(11) == public - 1
    assert conn.execute("SELECT count(*) AS n FROM service_map_cell WHERE n <= 0").fetchone()["n"] == 0


def test_the_copies_are_filled_without_any_reader(settings):
    """A fresh database's map points are there for any tile server (tipg), not made by a first map
    request."""
    import psycopg

    with psycopg.connect(settings.url()) as c:
        public, mapped = c.execute("""SELECT (SELECT count(*) FROM service_point WHERE NOT confidential),
                                             (SELECT count(*) FROM service_map_point)""").fetchone()
        assert public > 1000 and mapped == public
        assert c.execute("SELECT count(*) FROM directory_pending").fetchone() == (0,)


def test_a_write_of_more_services_than_a_list_rebuild_notes_all_of_them_once(conn):
    s = _public_service(conn)
    assert conn.execute("SELECT directory_note_bulk(10) AS bulk").fetchone()["bulk"] is False
    assert conn.execute("SELECT directory_note_bulk(20001) AS bulk").fetchone()["bulk"] is True
    conn.execute("UPDATE service SET name = 'Renamed clinic' WHERE id = %s", [s["id"]])
    notes = [r["service_id"] for r in conn.execute(
        "SELECT service_id FROM directory_pending WHERE txid = pg_current_xact_id()")]
    assert notes == ["*"]  # the statement's trigger added nothing
    assert sync_copies(conn) == -1
    assert conn.execute("SELECT doc->>'name' AS name FROM service_point WHERE service_id = %s",
                        [s["id"]]).fetchone()["name"] == "Renamed clinic"


def test_removing_a_source_takes_its_services_out_of_every_copy_in_the_same_transaction(conn):
    sample = conn.execute("SELECT count(*) AS n FROM service WHERE source = %s", [SAMPLE_SOURCE]).fetchone()["n"]
    assert sample > 0
    assert remove_source(conn, SAMPLE_SOURCE) == sample
    copies_for_reading(conn)  # a reader inside the writing transaction
    left = _copies(conn)
    assert conn.execute("SELECT count(*) AS n FROM service WHERE source = %s", [SAMPLE_SOURCE]).fetchone()["n"] == 0
    assert not [r for r in left["service_point"] if r["doc"].get("is_sample")]
    assert not conn.execute("""SELECT 1 FROM service_map_point m LEFT JOIN service s ON s.id = m.service_id
                               WHERE s.id IS NULL""").fetchall()
    refresh_copies(conn)
    assert _copies(conn) == left  # what followed the delete is what a rebuild from scratch gives
