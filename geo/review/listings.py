"""What an editor does to a listing from the review queue: verify it (HSDS `assured_date`,
`assurer_email`: confirmed today, or on a given day, by whom), and review a listing an import
retired because the source stopped sending it (keep it retired, or bring it back). Each audited
with the service's state before and after, scoped like every edit."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from geo import audit
from geo.db import Connection
from geo.edits import snapshot
from geo.edits.access import check_scope
from geo.edits.schemas import Email
from geo.errors import BadRequest, NotFound
from geo.keys import ApiKey
from geo.review.reports import Note, _no_control


class VerifyIn(BaseModel):
    """Who confirmed the listing and when (today unless said)."""

    model_config = ConfigDict(extra="forbid")
    assured_date: date | None = None
    assurer_email: Annotated[Email | None, AfterValidator(_no_control)] = None


class FlagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = None


def _service(conn: Connection, key: ApiKey, service_id: str) -> dict:
    conn.execute("SELECT 1 FROM service WHERE id = %s FOR UPDATE", [service_id])
    before = snapshot(conn, "service", service_id)
    if before is None:
        raise NotFound(f"no service {service_id!r}")
    check_scope(conn, key, "service", service_id)
    return before


def verify_service(conn: Connection, key: ApiKey, service_id: str, data: VerifyIn) -> dict:
    """Record that the listing was confirmed as it stands. Its content (and `updated_at`) is not
    touched: a verification is not a change."""
    with conn.transaction():
        before = _service(conn, key, service_id)
        if before["retired_at"] is not None:
            raise BadRequest(f"service {service_id!r} is retired; bring it back before verifying it")
        row = conn.execute(
            """UPDATE service SET assured_date = coalesce(%(day)s, current_date), assurer_email = %(email)s
               WHERE id = %(id)s AND coalesce(%(day)s, current_date) <= current_date RETURNING id""",
            {"day": data.assured_date, "email": data.assurer_email, "id": service_id}).fetchone()
        if row is None:
            raise BadRequest("assured_date cannot be in the future")
        after = snapshot(conn, "service", service_id)
        audit.record(conn, key, "verify", "service", service_id, before, after)
        return after  # type: ignore[return-value]


def _flagged(conn: Connection, key: ApiKey, service_id: str) -> dict:
    before = _service(conn, key, service_id)
    row = conn.execute(
        """SELECT 1 FROM service WHERE id = %s AND retired_at IS NOT NULL AND import_hash IS NULL
             AND source_id IS NOT NULL AND import_run_id IS NOT NULL""", [service_id]).fetchone()
    if row is None:
        raise BadRequest(f"service {service_id!r} is not a listing an import retired")
    return before


def keep_retired(conn: Connection, key: ApiKey, service_id: str, flag: FlagIn) -> dict:
    """The import was right: the listing stays retired and leaves the queue."""
    with conn.transaction():
        before = _flagged(conn, key, service_id)
        after = {**before, "review_note": flag.note}
        audit.record(conn, key, "resolve", "service", service_id, before, after)
        return after


def bring_back(conn: Connection, key: ApiKey, service_id: str, flag: FlagIn) -> dict:
    """The import was wrong: the listing is live again (a later import that leaves it out with
    --retire-missing retires it again)."""
    with conn.transaction():
        before = _flagged(conn, key, service_id)
        conn.execute("UPDATE service SET retired_at = NULL, updated_at = now() WHERE id = %s", [service_id])
        after = snapshot(conn, "service", service_id)
        audit.record(conn, key, "dismiss", "service", service_id, before, {**(after or {}), "review_note": flag.note})
        return after  # type: ignore[return-value]
