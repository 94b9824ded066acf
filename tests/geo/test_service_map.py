"""service_map_point: public services only, and a change shows on the next read."""

from __future__ import annotations

from geo.service_map import service_map_geojson


def test_map_points_never_include_confidential_services_or_locations(conn):
    features = service_map_geojson(conn, state_fips="29")["features"]
    ids = [f["properties"]["id"] for f in features]
    hidden = conn.execute(
        """SELECT count(*) AS n FROM service s JOIN service_at_location sal ON sal.service_id = s.id
           JOIN location l ON l.id = sal.location_id
           WHERE s.id = ANY(%s) AND (s.confidential OR l.confidential)""", [ids]).fetchone()["n"]
    assert len(ids) > 1000 and hidden == 0
