"""Editing organizations, services and locations (API key required), the audit trail and restore.
DELETE retires a record (soft delete); every change is audited in the same transaction."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request
from psycopg_pool import ConnectionPool

from geo import audit, edits
from geo.deserts.incremental import follow_changes
from geo.edits import (
    LocationIn,
    LocationPatch,
    OrganizationIn,
    OrganizationPatch,
    ServiceIn,
    ServicePatch,
)
from service.auth import Admin, Editor
from service.deps import Conn
from service.openapi import errors
from service.responses import JSONResponse

log = logging.getLogger("atlas.edits")


def _follow_deserts(pool: ConnectionPool) -> None:
    """Desert runs that the changed sites reach are brought up to date on a connection of their own,
    after the answer has gone; a failure here is logged and never the edit's."""
    try:
        with pool.connection() as conn:
            follow_changes(conn)  # type: ignore[arg-type]  # the pool's connections return dict rows
    except Exception:
        log.exception("desert runs could not follow an edit; `atlas deserts recompute` will")


def follow_deserts_after_writes(request: Request, background: BackgroundTasks) -> None:
    """A write to the directory is followed by its desert runs (geo.deserts.incremental.follow_changes):
    every write of this router, and the review queue's fix, which edits a service."""
    if request.method != "GET":
        background.add_task(_follow_deserts, request.app.state.pool)


router = APIRouter(prefix="/api", tags=["editing"], dependencies=[Depends(follow_deserts_after_writes)])

RecordIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
ENTITY = {"organizations": "organization", "services": "service", "locations": "location"}
AUDIT_PAGE_MAX = 200
WRITE_ERRORS: dict[int | str, dict] = errors(400, 401, 403, 404, 409, 413, 422, 503)


def _created(body: dict) -> JSONResponse:
    return JSONResponse(body, status_code=201)


@router.post("/organizations", status_code=201, responses=WRITE_ERRORS)
def create_organization(conn: Conn, key: Editor, body: OrganizationIn) -> JSONResponse:
    return _created(edits.create_organization(conn, key, body))


@router.post("/locations", status_code=201, responses=WRITE_ERRORS)
def create_location(conn: Conn, key: Editor, body: LocationIn) -> JSONResponse:
    return _created(edits.create_location(conn, key, body))


@router.post("/services", status_code=201, responses=WRITE_ERRORS)
def create_service(conn: Conn, key: Editor, body: ServiceIn) -> JSONResponse:
    """A service with its organization and location (new or existing), categories and phones."""
    return _created(edits.create_service(conn, key, body))


@router.patch("/organizations/{record_id}", responses=WRITE_ERRORS)
def update_organization(conn: Conn, key: Editor, record_id: RecordIdPath, body: OrganizationPatch) -> dict:
    return edits.update(conn, key, "organization", record_id, body)


@router.patch("/locations/{record_id}", responses=WRITE_ERRORS)
def update_location(conn: Conn, key: Editor, record_id: RecordIdPath, body: LocationPatch) -> dict:
    """Moving a location needs a key covering both where it was and where it goes."""
    return edits.update(conn, key, "location", record_id, body)


@router.patch("/services/{record_id}", responses=WRITE_ERRORS)
def update_service(conn: Conn, key: Editor, record_id: RecordIdPath, body: ServicePatch) -> dict:
    return edits.update(conn, key, "service", record_id, body)


def _add_retire_and_restore(plural: str, entity: str) -> None:
    """DELETE (retire) and restore for one kind of record; explicit paths, so they cannot shadow
    other routers' routes under /api."""

    def retire_record(conn: Conn, key: Editor, record_id: RecordIdPath) -> dict:
        return edits.retire(conn, key, entity, record_id)

    def restore_record(
        conn: Conn,
        key: Editor,
        record_id: RecordIdPath,
        version: Annotated[int, Query(ge=1, le=2**62, description="The audit entry id whose state to restore")],
    ) -> dict:
        return edits.restore(conn, key, entity, record_id, version)

    router.add_api_route(
        f"/{plural}/{{record_id}}", retire_record, methods=["DELETE"], responses=WRITE_ERRORS,
        name=f"retire_{entity}",
        summary=f"Retire a {entity}",
        description="Soft delete: gone from maps and search, kept for the audit trail and restore.",
    )
    router.add_api_route(
        f"/{plural}/{{record_id}}/restore", restore_record, methods=["POST"], responses=WRITE_ERRORS,
        name=f"restore_{entity}",
        summary=f"Restore a {entity} to an earlier version",
        description="Puts the record back as it was after audit entry `version`; the restore is audited too.",
    )


for _plural, _entity in ENTITY.items():
    _add_retire_and_restore(_plural, _entity)


@router.get("/audit", responses={401: WRITE_ERRORS[401], 403: WRITE_ERRORS[403]})
def list_audit(
    conn: Conn,
    key: Admin,
    entity: Annotated[Literal["organization", "service", "location", "workshop", "workshop_barrier",
                              "workshop_priority", "action_item", "action_update", "problem_report"] | None,
                      Query()] = None,
    entity_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**62, description="Paging: the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=AUDIT_PAGE_MAX)] = 50,
) -> dict:
    """Who changed what and when, newest first (admins only)."""
    items = audit.list_entries(conn, entity=entity, entity_id=entity_id, before_id=before_id, limit=limit)
    return {"items": items, "next": items[-1]["id"] if len(items) == limit else None}
