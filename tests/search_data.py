"""Small real datasets for search tests, written inside the test's transaction (rolled back after).

They sit around Casper, Wyoming (Natrona County), far from the Missouri and Massachusetts sample
services, so a small radius sees only what a test wrote.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from geo.copies import refresh_copies
from geo.db import Connection
from geo.overlay import assign_counties
from geo.taxonomy import term_id

SOURCE = "search-test"
CASPER = (42.85, -106.32)  # lat, lon


@dataclass
class ServiceSpec:
    name: str
    lat: float
    lon: float
    category: str = "food"
    stages: list[str] = field(default_factory=lambda: ["prevention"])
    languages: list[str] = field(default_factory=lambda: ["en"])
    cost: str = "free"
    ages: tuple[int | None, int | None] = (None, None)
    confidential: bool = False
    # (byday, opens, closes, time zone[, {freq, bymonthday, valid_from, valid_to, description}]): weekly
    # unless told
    hours: list[tuple] = field(
        default_factory=lambda: [("MO,TU,WE,TH,FR", "09:00", "17:00", "America/Denver")])
    address: str = "1 Test St"
    postal_code: str = "82601"


def add_services(conn: Connection, services: list[ServiceSpec]) -> dict[str, str]:
    """Insert the services (with org, location, address, phone, hours, languages, cost, category,
    stages), assign counties and refresh the search table. Returns name → service_at_location id."""
    ids = {}
    service_ids = []
    for s in services:
        org, svc, loc, sal = (str(uuid.uuid4()) for _ in range(4))
        conn.execute("INSERT INTO organization (id, name, source, source_id) VALUES (%s, %s, %s, %s)",
                     [org, s.name, SOURCE, org])
        conn.execute(
            """INSERT INTO service (id, organization_id, name, confidential, minimum_age, maximum_age,
                   source, source_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
            [svc, org, s.name, s.confidential, s.ages[0], s.ages[1], SOURCE, svc])
        conn.execute(
            """INSERT INTO location (id, organization_id, name, latitude, longitude, geom, confidential,
                   source, source_id)
               VALUES (%s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s)""",
            [loc, org, s.name, s.lat, s.lon, s.lon, s.lat, s.confidential, SOURCE, loc])
        conn.execute("INSERT INTO service_at_location (id, service_id, location_id, source) "
                     "VALUES (%s, %s, %s, %s)", [sal, svc, loc, SOURCE])
        conn.execute("INSERT INTO address (location_id, address_1, city, state_province, postal_code) "
                     "VALUES (%s, %s, 'Casper', 'WY', %s)", [loc, s.address, s.postal_code])
        conn.execute("INSERT INTO phone (service_id, number, type) VALUES (%s, '(307) 555-0100', 'voice')",
                     [svc])
        for byday, opens, closes, tz, *more in s.hours:
            rule = more[0] if more else {}
            conn.execute(
                """INSERT INTO schedule (service_id, freq, byday, bymonthday, opens_at, closes_at, tz_name,
                                         valid_from, valid_to, description)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                [svc, rule.get("freq", "WEEKLY"), byday, rule.get("bymonthday"), opens, closes, tz,
                 rule.get("valid_from"), rule.get("valid_to"), rule.get("description")])
        for code in s.languages:
            conn.execute("INSERT INTO language (service_id, code, name) VALUES (%s, %s, %s)", [svc, code, code])
        conn.execute("INSERT INTO cost_option (service_id, option) VALUES (%s, %s)", [svc, s.cost])
        conn.execute("INSERT INTO attribute (link_id, taxonomy_term_id, link_entity) VALUES (%s, %s, 'service')",
                     [svc, term_id(s.category)])
        for stage in s.stages:
            conn.execute("INSERT INTO service_stage (service_id, stage_code) VALUES (%s, %s)", [svc, stage])
        ids[s.name] = sal
        service_ids.append(svc)
    assign_counties(conn, SOURCE)
    refresh_copies(conn, service_ids)
    return ids


def remove_services(conn: Connection, ids: dict[str, str]) -> None:
    """Undo add_services for tests that had to commit: the rows and their search-table entries."""
    service_ids = [r["service_id"] for r in conn.execute(
        "SELECT service_id FROM service_at_location WHERE id = ANY(%s)", [list(ids.values())])]
    conn.execute("DELETE FROM service WHERE id = ANY(%s)", [service_ids])
    for table in ("location", "organization"):
        conn.execute(f"DELETE FROM {table} WHERE source = %s", [SOURCE])  # noqa: S608
    refresh_copies(conn, service_ids)
