"""service_map_point: public services only, refreshed as soon as its source tables change."""

from __future__ import annotations

from geo.service_map import ensure_service_points_fresh, service_map_geojson


def _public_service_in(conn, county: str) -> str:  # type: ignore[no-untyped-def]
    return conn.execute(
        """SELECT s.id FROM service s JOIN service_at_location sal ON sal.service_id = s.id
           JOIN location l ON l.id = sal.location_id
           WHERE NOT s.confidential AND NOT l.confidential AND l.county_fips = %s ORDER BY s.id LIMIT 1""",
        [county]).fetchone()["id"]


def test_map_points_never_include_confidential_services_or_locations(conn):
    features = service_map_geojson(conn, state_fips="29")["features"]
    ids = [f["properties"]["id"] for f in features]
    hidden = conn.execute(
        """SELECT count(*) AS n FROM service s JOIN service_at_location sal ON sal.service_id = s.id
           JOIN location l ON l.id = sal.location_id
           WHERE s.id = ANY(%s) AND (s.confidential OR l.confidential)""", [ids]).fetchone()["n"]
    assert len(ids) > 1000 and hidden == 0


def test_a_change_to_a_service_or_its_location_shows_on_the_next_read(conn):
    service = _public_service_in(conn, "29019")
    ensure_service_points_fresh(conn)
    assert ensure_service_points_fresh(conn) is False  # nothing changed: no refresh
    conn.execute("UPDATE service SET name = 'Renamed clinic' WHERE id = %s", [service])
    renamed = {f["properties"]["id"]: f["properties"]["name"]
               for f in service_map_geojson(conn, county_fips=["29019"])["features"]}
    assert renamed[service] == "Renamed clinic"
    conn.execute("""UPDATE location SET confidential = true WHERE id IN (
                        SELECT location_id FROM service_at_location WHERE service_id = %s)""", [service])
    after = {f["properties"]["id"] for f in service_map_geojson(conn, county_fips=["29019"])["features"]}
    assert service not in after and after
