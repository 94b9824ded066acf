"""Workshops: a region's Upstream workshop, its barriers, priorities (with their gap figures then
and now) and action plan, the next quarterly agenda, statewide progress and CSV of every table.
Reading needs no key (a key of the region's editors also shows an unpublished plan); every write
needs one whose regions cover the workshop's region, and is audited."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from geo.states import state_fips
from geo.workshops import export, progress, read, write
from geo.workshops.access import visible_workshops, workshop_region
from geo.workshops.schemas import (
    ActionItemIn,
    ActionItemPatch,
    ActionUpdateIn,
    Agenda,
    BarrierIn,
    BarrierPatch,
    PriorityIn,
    PriorityPatch,
    Progress,
    Workshop,
    WorkshopIn,
    WorkshopList,
    WorkshopPatch,
    WorkshopStatus,
)
from service.auth import Editor, Reader
from service.deps import Conn
from service.errors import ErrorBody
from service.openapi import OPTIONAL_KEY

router = APIRouter(prefix="/api/workshops", tags=["workshops"])

WorkshopId = Annotated[int, Path(ge=1, le=2**62)]
RowId = Annotated[int, Path(ge=1, le=2**62)]
ExportTable = Literal[export.EXPORT_TABLES]  # type: ignore[valid-type]


def _errors(*codes: int) -> dict[int | str, dict]:
    described = {
        400: "A parameter is not acceptable (an unknown region or state); `detail` says what to use",
        401: "A key was sent but is unknown or revoked, or a write without a key",
        403: "The key's regions do not cover this workshop's region",
        404: "No such workshop, region or row",
        409: "The change conflicts with existing rows; nothing was changed",
        422: "The request failed validation; `errors` names each field and why",
    }
    return {code: {"model": ErrorBody, "description": described[code]} for code in codes}


READ_ERRORS = _errors(400, 401, 404, 422)
WRITE_ERRORS = _errors(400, 401, 403, 404, 409, 422)


class Created(BaseModel):
    """The new row's id, and the workshop as it now is."""

    id: int
    workshop: Workshop


def _created(conn: Conn, key: Reader, workshop_id: int, new_id: int) -> dict:
    return {"id": new_id, "workshop": read.workshop(conn, workshop_id, key)}


@router.get("", response_model=WorkshopList, responses=READ_ERRORS)
def list_workshops(
    conn: Conn,
    state: Annotated[str | None, Query(max_length=40, description="Postal code (MO), name or FIPS")] = None,
    region: Annotated[str | None, Query(max_length=80, description="circuit:MO-16, division:MA-suffolk, county:29095")] = None,
    status: Annotated[WorkshopStatus | None, Query()] = None,
) -> dict:
    """Workshops with their status, dates and how many came from each sector (public facts)."""
    ref = workshop_region(region) if region else None
    return {"items": read.workshop_summaries(conn, region=ref, state_fips=state_fips(state) if state else None,
                                             status=status)}


@router.post("", status_code=201, response_model=Created, responses=WRITE_ERRORS)
def create_workshop(conn: Conn, key: Editor, body: WorkshopIn) -> dict:
    """A region's workshop (one per circuit, division or county)."""
    workshop_id = write.create_workshop(conn, key, body)
    return _created(conn, key, workshop_id, workshop_id)


@router.get("/progress", response_model=Progress, response_model_exclude_none=True, responses=READ_ERRORS)
def state_progress(
    conn: Conn, state: Annotated[str, Query(max_length=40, description="Postal code (MO), name or FIPS")] = "MO",
) -> dict:
    """Each circuit (or division) by workshop status, and how many have held theirs."""
    return progress.progress(conn, state_fips(state))


@router.get("/export/{table}.csv", response_class=Response, openapi_extra=OPTIONAL_KEY, responses={
    200: {"content": {"text/csv": {}}, "description": "The table as CSV"}, **READ_ERRORS})
def export_table(conn: Conn, key: Reader, table: Annotated[ExportTable, Path()]) -> Response:
    """One workshop table as CSV: every workshop, and the rows of plans the reader may see."""
    text = export.table_csv(conn, table, visible_workshops(conn, key))
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="atlas-{table}.csv"'})


@router.get("/{workshop_id:int}", response_model=Workshop, responses=READ_ERRORS, openapi_extra=OPTIONAL_KEY)
def get_workshop(conn: Conn, key: Reader, workshop_id: WorkshopId) -> dict:
    """A workshop with its barriers, priorities ("then → now" gap figures) and action plan, once
    published (or to a key of the region's editors); `withheld` says when they are left out."""
    return read.workshop(conn, workshop_id, key)


@router.patch("/{workshop_id:int}", response_model=Workshop, responses=WRITE_ERRORS)
def update_workshop(conn: Conn, key: Editor, workshop_id: WorkshopId, body: WorkshopPatch) -> dict:
    """Status, dates, sector counts (replacing them all), notes, publishing."""
    write.update_workshop(conn, key, workshop_id, body)
    return read.workshop(conn, workshop_id, key)


@router.get("/{workshop_id:int}/agenda", response_model=Agenda, responses=READ_ERRORS, openapi_extra=OPTIONAL_KEY)
def next_meeting_agenda(conn: Conn, key: Reader, workshop_id: WorkshopId) -> dict:
    """The next quarterly meeting: the items still open and what changed in the priorities' gaps."""
    return read.agenda(conn, workshop_id, key)


@router.post("/{workshop_id:int}/barriers", status_code=201, response_model=Created, responses=WRITE_ERRORS)
def add_barrier(conn: Conn, key: Editor, workshop_id: WorkshopId, body: BarrierIn) -> dict:
    return _created(conn, key, workshop_id, write.add_barrier(conn, key, workshop_id, body))


@router.patch("/{workshop_id:int}/barriers/{row_id:int}", response_model=Workshop, responses=WRITE_ERRORS)
def update_barrier(conn: Conn, key: Editor, workshop_id: WorkshopId, row_id: RowId, body: BarrierPatch) -> dict:
    write.update_barrier(conn, key, workshop_id, row_id, body)
    return read.workshop(conn, workshop_id, key)


@router.post("/{workshop_id:int}/priorities", status_code=201, response_model=Created, responses=WRITE_ERRORS)
def add_priority(conn: Conn, key: Editor, workshop_id: WorkshopId, body: PriorityIn) -> dict:
    """A ranked priority on gap-matrix cells; their figures now are kept as `then`."""
    return _created(conn, key, workshop_id, write.add_priority(conn, key, workshop_id, body))


@router.patch("/{workshop_id:int}/priorities/{row_id:int}", response_model=Workshop, responses=WRITE_ERRORS)
def update_priority(conn: Conn, key: Editor, workshop_id: WorkshopId, row_id: RowId, body: PriorityPatch) -> dict:
    """Title, description or rank (the others move to make room); frozen figures never change."""
    write.update_priority(conn, key, workshop_id, row_id, body)
    return read.workshop(conn, workshop_id, key)


@router.post("/{workshop_id:int}/actions", status_code=201, response_model=Created, responses=WRITE_ERRORS)
def add_action(conn: Conn, key: Editor, workshop_id: WorkshopId, body: ActionItemIn) -> dict:
    return _created(conn, key, workshop_id, write.add_action(conn, key, workshop_id, body))


@router.patch("/{workshop_id:int}/actions/{row_id:int}", response_model=Workshop, responses=WRITE_ERRORS)
def update_action(conn: Conn, key: Editor, workshop_id: WorkshopId, row_id: RowId, body: ActionItemPatch) -> dict:
    write.update_action(conn, key, workshop_id, row_id, body)
    return read.workshop(conn, workshop_id, key)


@router.post("/{workshop_id:int}/actions/{row_id:int}/updates", status_code=201, response_model=Created,
             responses=WRITE_ERRORS)
def add_quarterly_update(conn: Conn, key: Editor, workshop_id: WorkshopId, row_id: RowId,
                         body: ActionUpdateIn) -> dict:
    """A quarterly meeting's word on an item; the item takes the status it gives."""
    return _created(conn, key, workshop_id, write.add_update(conn, key, workshop_id, row_id, body))


def _add_delete(plural: str, table: str) -> None:
    def delete_row(conn: Conn, key: Editor, workshop_id: WorkshopId, row_id: RowId) -> dict:
        write.delete_row(conn, key, workshop_id, table, row_id)
        return read.workshop(conn, workshop_id, key)

    router.add_api_route(f"/{{workshop_id:int}}/{plural}/{{row_id:int}}", delete_row, methods=["DELETE"],
                         response_model=Workshop, responses=WRITE_ERRORS, name=f"delete_{table}",
                         summary=f"Delete a {table.replace('_', ' ')}",
                         description="Removed from the plan; the audit trail keeps the whole row.")


for _plural, _table in (("barriers", "workshop_barrier"), ("priorities", "workshop_priority"),
                        ("actions", "action_item")):
    _add_delete(_plural, _table)
