"""Problem reports: what anyone may say is wrong with a listing (no account, no trace of who said
it), and how an editor closes one: resolved (optionally naming the edit it led to), dismissed, or
fixed (the edit and the resolution in one transaction). Each close is audited; the reporter's
contact, kept only so an editor can answer, is erased when the report is closed."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from geo import audit
from geo.db import Connection
from geo.edits import ServicePatch, update
from geo.edits.access import check_scope
from geo.errors import BadRequest, NotFound, RowError, ValidationFailed
from geo.keys import ApiKey
from geo.review.flood import Limits, client_bucket, take

KINDS = ("wrong_phone", "closed", "moved", "wrong_hours", "not_served", "other")
MAX_TEXT = 1000
MAX_CONTACT = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str | None) -> str | None:
    """Text is kept as typed (HTML included: every output escapes it), minus control characters;
    an empty answer is no answer."""
    if value is not None and _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value or None


Kind = Literal["wrong_phone", "closed", "moved", "wrong_hours", "not_served", "other"]
Text = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT),
                 AfterValidator(_no_control)]
Contact = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=MAX_CONTACT),
                    AfterValidator(_no_control)]
Note = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT),
                 AfterValidator(_no_control)]


class ReportIn(BaseModel):
    """A problem with a listing: its kind, and optionally what is wrong and how to reach the reporter."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind
    text: Text = None
    contact: Contact = None
    lang: Literal["en", "es"] = "en"


class CloseIn(BaseModel):
    """Closing a report: a note for the record, and (resolve) the audit entry of the edit it led to."""

    model_config = ConfigDict(extra="forbid")
    note: Note = None
    edit_audit_id: int | None = None


class FixIn(BaseModel):
    """Fixing a report: the service's changes (as PATCH /api/services/{id} takes them) and a note."""

    model_config = ConfigDict(extra="forbid")
    changes: ServicePatch
    note: Note = None


_SNAPSHOT = """SELECT id, service_id, kind, text, lang, created_at, status, closed_at, note, edit_audit_id
               FROM problem_report WHERE id = %s"""


def create_report(conn: Connection, limits: Limits, service_id: str, report: ReportIn,
                  client_address: str | None) -> dict:
    """Store a report of a live service, if the flood limits allow (TooManyRequests otherwise).
    `client_address` only names a flood bucket through a daily-salted hash; it is not stored."""
    with conn.transaction():
        if conn.execute("SELECT 1 FROM service WHERE id = %s AND retired_at IS NULL", [service_id]).fetchone() is None:
            raise NotFound(f"no service {service_id!r}")
        take(conn, limits, service_id, client_bucket(conn, client_address))
        row = conn.execute(
            """INSERT INTO problem_report (service_id, kind, text, contact, lang) VALUES (%s, %s, %s, %s, %s)
               RETURNING id, service_id, kind, status, created_at""",
            [service_id, report.kind, report.text, report.contact, report.lang],
        ).fetchone()
    assert row is not None
    return row


def _open_report(conn: Connection, key: ApiKey, report_id: int) -> dict:
    """The report, locked; 403 unless its service is inside the key's regions, 409-like 400 if closed."""
    conn.execute("SELECT 1 FROM problem_report WHERE id = %s FOR UPDATE", [report_id])
    before = conn.execute(_SNAPSHOT, [report_id]).fetchone()
    if before is None:
        raise NotFound(f"no report {report_id}")
    check_scope(conn, key, "service", before["service_id"])
    if before["status"] != "open":
        raise BadRequest(f"report {report_id} is already {before['status']}")
    return before


def _check_edit_link(conn: Connection, service_id: str, audit_id: int) -> None:
    """The edit a report led to must be a change of its service, or of that service's location or
    organization."""
    row = conn.execute(
        """SELECT 1 FROM audit_log a JOIN service s ON s.id = %(service)s
           WHERE a.id = %(audit)s AND a.action IN ('create', 'update', 'retire', 'restore', 'verify')
             AND ((a.entity = 'service' AND a.entity_id = s.id)
                  OR (a.entity = 'organization' AND a.entity_id = s.organization_id)
                  OR (a.entity = 'location' AND a.entity_id IN (
                      SELECT location_id FROM service_at_location WHERE service_id = s.id)))""",
        {"service": service_id, "audit": audit_id}).fetchone()
    if row is None:
        raise ValidationFailed([RowError("request", 0, "edit_audit_id",
                                         f"audit entry {audit_id} is not a change of service {service_id!r}")])


def _close(conn: Connection, key: ApiKey, before: dict, status: str, note: str | None,
           edit_audit_id: int | None) -> dict:
    conn.execute(
        """UPDATE problem_report SET status = %s, closed_at = now(), closed_by = %s, note = %s,
               edit_audit_id = %s, contact = NULL
           WHERE id = %s""",
        [status, key.id, note, edit_audit_id, before["id"]])
    after = conn.execute(_SNAPSHOT, [before["id"]]).fetchone()
    assert after is not None
    action = "resolve" if status == "resolved" else "dismiss"
    audit.record(conn, key, action, "problem_report", str(before["id"]), _jsonable(before), _jsonable(after))
    return after


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def resolve_report(conn: Connection, key: ApiKey, report_id: int, close: CloseIn) -> dict:
    """The listing was put right (or was right): closed as resolved, linked to the edit if named."""
    with conn.transaction():
        before = _open_report(conn, key, report_id)
        if close.edit_audit_id is not None:
            _check_edit_link(conn, before["service_id"], close.edit_audit_id)
        return _close(conn, key, before, "resolved", close.note, close.edit_audit_id)


def dismiss_report(conn: Connection, key: ApiKey, report_id: int, close: CloseIn) -> dict:
    """Nothing to change (a mistake, spam, a duplicate): closed as dismissed."""
    if close.edit_audit_id is not None:
        raise BadRequest("a dismissed report led to no edit; resolve it to link one")
    with conn.transaction():
        return _close(conn, key, _open_report(conn, key, report_id), "dismissed", close.note, None)


def fix_report(conn: Connection, key: ApiKey, report_id: int, fix: FixIn) -> dict:
    """Edit the report's service and resolve the report, linked to that edit, in one transaction."""
    with conn.transaction():
        before = _open_report(conn, key, report_id)
        service = update(conn, key, "service", before["service_id"], fix.changes)
        row = conn.execute(
            """SELECT id FROM audit_log WHERE entity = 'service' AND entity_id = %s AND action = 'update'
                 AND at = now() AND key_id = %s ORDER BY id DESC LIMIT 1""",  # written by this transaction
            [before["service_id"], key.id]).fetchone()
        report = _close(conn, key, before, "resolved", fix.note, row["id"] if row else None)
        return {"report": report, "service": service}
