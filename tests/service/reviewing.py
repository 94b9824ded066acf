"""Shared set-up for tests of reports, verification and the review queue (they commit through the
app): editor keys for two circuits, a live service in each, and a clean-up of what they made."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

from geo.keys import create_key

NAMES = {"admin": "review admin", "mo16": "review MO-16 editor", "mo22": "review MO-22 editor"}

SERVICE_IN_COUNTY = """
SELECT s.id FROM service s
JOIN service_at_location sal ON sal.service_id = s.id JOIN location l ON l.id = sal.location_id
WHERE s.retired_at IS NULL AND s.status = 'active' AND NOT s.confidential
GROUP BY s.id HAVING bool_and(l.county_fips = %s AND NOT l.confidential AND l.geom IS NOT NULL)
ORDER BY s.id LIMIT 1"""


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def cleanup(conn: psycopg.Connection, service_ids: list[str]) -> None:
    conn.execute("DELETE FROM problem_report WHERE service_id = ANY(%s)", [service_ids])
    conn.execute("DELETE FROM report_bucket")
    conn.execute("UPDATE service SET assured_date = NULL, assurer_email = NULL WHERE id = ANY(%s)", [service_ids])
    conn.execute("DELETE FROM audit_log WHERE key_id IN (SELECT id FROM api_key WHERE name = ANY(%s))",
                 [list(NAMES.values())])
    conn.execute("DELETE FROM api_key WHERE name = ANY(%s)", [list(NAMES.values())])


@pytest.fixture(scope="module")
def review_setup(settings) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    """Keys (admin, MO-16 editor, MO-22 editor) and a live public service in Jackson County (MO-16)
    and one in St. Louis city (MO-22); their phones are put back and everything made is removed."""
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:
        services = {"mo16": conn.execute(SERVICE_IN_COUNTY, ["29095"]).fetchone()["id"],  # type: ignore[index]
                    "mo22": conn.execute(SERVICE_IN_COUNTY, ["29510"]).fetchone()["id"]}  # type: ignore[index]
        phones = {sid: conn.execute("SELECT id, number, extension, type FROM phone WHERE service_id = %s",
                                    [sid]).fetchall() for sid in services.values()}
        cleanup(conn, list(services.values()))
        keys = {"admin": create_key(conn, NAMES["admin"], "admin")[1],
                "mo16": create_key(conn, NAMES["mo16"], "editor", ["MO-16"])[1],
                "mo22": create_key(conn, NAMES["mo22"], "editor", ["MO-22"])[1]}
        yield {"keys": keys, "services": services, "conn": conn}
        for sid, rows in phones.items():
            conn.execute("DELETE FROM phone WHERE service_id = %s", [sid])
            for r in rows:
                conn.execute("INSERT INTO phone (id, service_id, number, extension, type) VALUES (%s, %s, %s, %s, %s)",
                             [r["id"], sid, r["number"], r["extension"], r["type"]])
        cleanup(conn, list(services.values()))
