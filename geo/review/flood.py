"""Flood limits for problem reports that hold across app replicas: token buckets in PostgreSQL
(geo/sql/report_take_token.sql), one global, one per service and one per client.

A client's bucket is named by an HMAC of its address under today's salt (`report_salt`, made by the
first replica that needs it). Yesterday's salt and buckets are deleted, so nothing kept can be
turned back into an address or linked across days; the address itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from geo.db import Connection, query
from geo.errors import TooManyRequests
from geo.settings import Settings


@dataclass(frozen=True)
class Limits:
    """Reports per hour (and the burst allowed): per client, per service and for everyone."""

    client_per_hour: int
    service_per_hour: int
    global_per_hour: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.report_client_per_hour, settings.report_service_per_hour,
                   settings.report_global_per_hour)


def _todays_salt(conn: Connection) -> bytes:
    """Today's salt; the first caller of the day makes it and forgets yesterday's salts and buckets."""
    row = conn.execute("SELECT salt FROM report_salt WHERE day = current_date").fetchone()
    if row is not None:
        return bytes(row["salt"])
    conn.execute("INSERT INTO report_salt (day, salt) VALUES (current_date, %s) ON CONFLICT (day) DO NOTHING",
                 [secrets.token_bytes(32)])
    conn.execute("DELETE FROM report_salt WHERE day < current_date")
    conn.execute("DELETE FROM report_bucket WHERE bucket LIKE 'client:%%' AND updated_at < current_date")
    row = conn.execute("SELECT salt FROM report_salt WHERE day = current_date").fetchone()
    assert row is not None
    return bytes(row["salt"])


def client_bucket(conn: Connection, address: str | None) -> str | None:
    """The bucket name of a client address (None when the address is unknown)."""
    if not address:
        return None
    digest = hmac.new(_todays_salt(conn), address.encode(), hashlib.sha256).hexdigest()
    return f"client:{digest[:32]}"


def take(conn: Connection, limits: Limits, service_id: str, client: str | None) -> None:
    """Take one token from each bucket, in a fixed order (no deadlocks); TooManyRequests when one is
    empty. Call inside the report's transaction, so a refusal gives back what was taken."""
    buckets = [(client, limits.client_per_hour, "from your connection")] if client else []
    buckets += [(f"service:{service_id}", limits.service_per_hour, "about this service"),
                ("global", limits.global_per_hour, "from everyone")]
    for bucket, capacity, whose in buckets:
        if conn.execute(query("report_take_token"), {"bucket": bucket, "capacity": capacity}).fetchone() is None:
            raise TooManyRequests(f"too many reports {whose} in the last hour; please try again later",
                                  retry_after_s=math.ceil(3600 / capacity))
