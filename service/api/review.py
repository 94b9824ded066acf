"""Keeping the directory true: anyone may report a problem with a listing (no account, no trace of
who); editors verify listings and work their regions' review queue (open reports, listings past
their verification age, listings an import retired), every action audited and scoped like edits;
planners read how fresh each county and court region is."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from geo.review import listings, queue, reports
from geo.review.flood import Limits
from geo.scope import RegionRef
from geo.settings import Settings
from service.api.edit import WRITE_ERRORS, RecordIdPath, follow_deserts_after_writes
from service.auth import Editor
from service.deps import AppSettings, Conn
from service.responses import JSONResponse

router = APIRouter(prefix="/api", tags=["review"])

ReportId = Annotated[int, Path(ge=1, le=2**62)]
RegionQuery = Annotated[str | None, Query(max_length=80, description="Narrow to a region: circuit:MO-16, "
                                          "county:29095, division:MA-suffolk, state:MO")]
REPORT_ERRORS: dict[int | str, dict] = {
    404: {"description": "No such service (or it is retired)"},
    422: {"description": "The report failed validation; `errors` says which field and why"},
    429: {"description": "Too many reports in the last hour (from this connection, about this service, "
                         "or from everyone); `Retry-After` says when to try again"},
}


def client_address(request: Request, settings: Settings) -> str | None:
    """The client's address, only to name its flood bucket by a salted hash (never stored or logged).
    Behind a proxy, ATLAS_REPORT_CLIENT_HEADER names the header carrying it (first address)."""
    if settings.report_client_header:
        given = request.headers.get(settings.report_client_header, "").split(",")[0].strip()
        if given:
            return given
    return request.client.host if request.client else None


@router.post("/services/{record_id}/reports", status_code=201, responses=REPORT_ERRORS)
def report_problem(request: Request, conn: Conn, settings: AppSettings, record_id: RecordIdPath,
                   body: reports.ReportIn) -> JSONResponse:
    """Report a problem with a listing: wrong phone, closed, moved, wrong hours, does not serve this,
    or other, with optional text (at most 1,000 characters) and contact. No account; neither the
    reporter's address nor their location is kept."""
    row = reports.create_report(conn, Limits.from_settings(settings), record_id, body,
                                client_address(request, settings))
    return JSONResponse({"id": row["id"], "service_id": row["service_id"], "kind": row["kind"],
                         "status": row["status"]}, status_code=201, headers={"Cache-Control": "no-store"})


@router.post("/services/{record_id}/verify", responses=WRITE_ERRORS)
def verify_service(conn: Conn, key: Editor, record_id: RecordIdPath, body: listings.VerifyIn | None = None) -> dict:
    """Confirm a listing as it stands (HSDS `assured_date`, today unless given; `assurer_email`)."""
    return listings.verify_service(conn, key, record_id, body or listings.VerifyIn())


def _region(region: str | None) -> RegionRef | None:
    return RegionRef.parse(region) if region else None


@router.get("/review", responses={401: WRITE_ERRORS[401]})
def review_counts(conn: Conn, key: Editor, settings: AppSettings, region: RegionQuery = None) -> dict:
    """How many open reports, listings past their verification age and listings an import retired
    the key's regions hold."""
    return {"verify_max_age_months": settings.verify_max_age_months,
            "counts": queue.queue_counts(conn, key, region=_region(region), months=settings.verify_max_age_months)}


@router.get("/review/{name}", responses={401: WRITE_ERRORS[401]})
def review_queue(
    conn: Conn, key: Editor, settings: AppSettings,
    name: Annotated[Literal["reports", "stale", "flagged"], Path(description="Which queue")],
    region: RegionQuery = None,
    limit: Annotated[int, Query(ge=1, le=queue.PAGE_MAX)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict:
    """One page of a queue, inside the key's regions: `reports` (open, oldest first), `stale` (never
    verified or not within ATLAS_VERIFY_MAX_AGE_MONTHS), `flagged` (retired by an import)."""
    page = queue.queue_page(conn, key, name, region=_region(region), months=settings.verify_max_age_months,
                            limit=limit, offset=offset)
    return {"queue": page.queue, "total": page.total, "items": page.items}


@router.post("/review/reports/{report_id}/resolve", responses=WRITE_ERRORS)
def resolve_report(conn: Conn, key: Editor, report_id: ReportId, body: reports.CloseIn | None = None) -> dict:
    """Close a report as resolved, optionally naming the audit entry of the edit it led to."""
    return reports.resolve_report(conn, key, report_id, body or reports.CloseIn())


@router.post("/review/reports/{report_id}/dismiss", responses=WRITE_ERRORS)
def dismiss_report(conn: Conn, key: Editor, report_id: ReportId, body: reports.CloseIn | None = None) -> dict:
    """Close a report as dismissed (nothing to change)."""
    return reports.dismiss_report(conn, key, report_id, body or reports.CloseIn())


@router.post("/review/reports/{report_id}/fix", responses=WRITE_ERRORS,
             dependencies=[Depends(follow_deserts_after_writes)])
def fix_report(conn: Conn, key: Editor, report_id: ReportId, body: reports.FixIn) -> dict:
    """Edit the report's service (`changes`, as PATCH /api/services/{id} takes them) and resolve the
    report, linked to that edit, in one transaction."""
    return reports.fix_report(conn, key, report_id, body)


@router.post("/review/flagged/{record_id}/resolve", responses=WRITE_ERRORS)
def keep_retired(conn: Conn, key: Editor, record_id: RecordIdPath, body: listings.FlagIn | None = None) -> dict:
    """The import was right: the listing stays retired and leaves the queue."""
    return listings.keep_retired(conn, key, record_id, body or listings.FlagIn())


@router.post("/review/flagged/{record_id}/dismiss", responses=WRITE_ERRORS)
def bring_back(conn: Conn, key: Editor, record_id: RecordIdPath, body: listings.FlagIn | None = None) -> dict:
    """The import was wrong: the listing is live again."""
    return listings.bring_back(conn, key, record_id, body or listings.FlagIn())


@router.get("/freshness", tags=["review"])
def freshness(conn: Conn, settings: AppSettings,
              region: Annotated[str, Query(max_length=80, description="state:MO, circuit:MO-16, county:29095 …")]
              ) -> dict:
    """Per county and court region: listings, how many were verified within the age, the share, and
    open problem reports. Public: counts only."""
    ref = RegionRef.parse(region)
    months = settings.verify_max_age_months
    rows = queue.freshness(conn, ref, months)
    return {"region": str(ref), "verify_max_age_months": months, "areas": rows}
