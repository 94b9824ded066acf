"""Writes of the workshops API. Each runs in one transaction: the region check (the workshop's
region must lie inside the key's regions, as for directory records), the change, and its audit row
with the record before and after. The `insert_*` steps are the one writer of these tables; the
sample loader calls them too (without a key, so without an audit row, as sample services have none).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from psycopg import sql

from geo import audit
from geo.db import Connection
from geo.errors import NotFound, RowError, ValidationFailed
from geo.keys import ApiKey
from geo.scope import RegionRef
from geo.vocabulary import Vocabulary
from geo.workshops.access import check_region, region_counties, workshop_ref, workshop_region
from geo.workshops.gaps import freeze, normalise_cells
from geo.workshops.schemas import (
    ActionItemIn,
    ActionItemPatch,
    ActionUpdateIn,
    BarrierIn,
    BarrierPatch,
    PriorityIn,
    PriorityPatch,
    WorkshopIn,
    WorkshopPatch,
)

# The audit entity of each table, and the columns a patch may set directly.
TABLES = {"workshop": "workshop", "workshop_barrier": "workshop_barrier",
          "workshop_priority": "workshop_priority", "action_item": "action_item", "action_update": "action_update"}
WORKSHOP_COLUMNS = ("title", "status", "planned_on", "held_on", "plan_adopted_on", "next_meeting_on", "notes",
                    "published")


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed([RowError("request", 0, field, reason)])


def _snapshot(conn: Connection, table: str, row_id: int) -> dict | None:
    """A row as JSON (dates as ISO text) for the audit trail; a workshop with its sector counts, a
    priority with its frozen cells."""
    row = conn.execute(sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table)), [row_id]).fetchone()
    if row is None:
        return None
    snap = dict(row)
    if table == "workshop":
        snap["sectors"] = {r["sector"]: r["participants"] for r in conn.execute(
            "SELECT sector, participants FROM workshop_sector WHERE workshop_id = %s ORDER BY sector", [row_id])}
    if table == "workshop_priority":
        snap["cells"] = list(conn.execute(
            "SELECT * FROM workshop_priority_cell WHERE priority_id = %s ORDER BY category, stage", [row_id]))
    return json.loads(json.dumps(snap, default=str))


def _update_columns(conn: Connection, table: str, row_id: int, fields: dict[str, Any]) -> None:
    if not fields:
        return
    stamp = sql.SQL(", updated_at = now()") if table in ("workshop", "action_item") else sql.SQL("")
    conn.execute(sql.SQL("UPDATE {} SET {}{} WHERE id = %(id)s").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in fields),
        stamp), {**fields, "id": row_id})


def _child(conn: Connection, table: str, workshop_id: int, row_id: int) -> None:
    """404 unless row `row_id` of `table` belongs to the workshop."""
    row = conn.execute(sql.SQL("SELECT workshop_id FROM {} WHERE id = %s").format(sql.Identifier(table)),
                       [row_id]).fetchone()
    if row is None or row["workshop_id"] != workshop_id:
        raise NotFound(f"workshop {workshop_id} has no {table.replace('_', ' ')} {row_id}")


# --- the one writer ---------------------------------------------------------------------------

def _write_sectors(conn: Connection, workshop_id: int, sectors: dict[str, int]) -> None:
    conn.execute("DELETE FROM workshop_sector WHERE workshop_id = %s", [workshop_id])
    for sector, participants in sorted(sectors.items()):
        conn.execute("INSERT INTO workshop_sector (workshop_id, sector, participants) VALUES (%s, %s, %s)",
                     [workshop_id, sector, participants])


def insert_workshop(conn: Connection, region: RegionRef, body: WorkshopIn, *, is_sample: bool = False) -> int:
    region_counties(conn, region)  # NotFound for a region that does not exist
    if conn.execute("SELECT 1 FROM workshop WHERE region_kind = %s AND region_code = %s",
                    [region.kind, region.code]).fetchone():
        raise _invalid("region", f"{region} already has a workshop: update it instead")
    row = conn.execute(
        """INSERT INTO workshop (region_kind, region_code, title, status, planned_on, held_on, plan_adopted_on,
                                 next_meeting_on, notes, published, is_sample)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        [region.kind, region.code, body.title, body.status, body.planned_on, body.held_on, body.plan_adopted_on,
         body.next_meeting_on, body.notes, body.published, is_sample]).fetchone()
    assert row is not None
    _write_sectors(conn, row["id"], {str(k): v for k, v in body.sectors.items()})
    return int(row["id"])


def _barrier_fields(conn: Connection, region: RegionRef, fields: dict[str, Any]) -> dict[str, Any]:
    """Category and stage as codes; counties must lie in the workshop's region (422 naming them)."""
    vocabulary = Vocabulary.load(conn)
    errors = []
    for field, lookup in (("category", vocabulary.category), ("stage", vocabulary.stage)):
        if fields.get(field) is not None:
            code = lookup(fields[field])
            if code is None:
                errors.append(RowError("request", 0, field, f"unknown {field} {fields[field]!r}"))
            fields[field] = code
    if fields.get("counties"):
        inside = set(region_counties(conn, region))
        outside = [c for c in fields["counties"] if c not in inside]
        if outside:
            errors.append(RowError("request", 0, "counties", f"{', '.join(outside)} not in {region}"))
        fields["counties"] = sorted(set(fields["counties"]))
    if errors:
        raise ValidationFailed(errors)
    return fields


def insert_barrier(conn: Connection, workshop_id: int, region: RegionRef, body: BarrierIn) -> int:
    f = _barrier_fields(conn, region, body.model_dump())
    row = conn.execute(
        """INSERT INTO workshop_barrier (workshop_id, kind, description, category, stage, counties)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
        [workshop_id, f["kind"], f["description"], f["category"], f["stage"], f["counties"]]).fetchone()
    assert row is not None
    return int(row["id"])


def _rerank(conn: Connection, workshop_id: int, moved: int | None = None, rank: int | None = None) -> None:
    """Ranks 1..n in order, with `moved` placed at `rank` (the others keep their order)."""
    ids = [r["id"] for r in conn.execute(
        "SELECT id FROM workshop_priority WHERE workshop_id = %s ORDER BY rank, id", [workshop_id])]
    if moved is not None and rank is not None:
        ids.remove(moved)
        ids.insert(min(rank, len(ids) + 1) - 1, moved)
    for position, priority_id in enumerate(ids, start=1):
        conn.execute("UPDATE workshop_priority SET rank = %s WHERE id = %s AND rank <> %s",
                     [position, priority_id, position])


def insert_priority(conn: Connection, workshop_id: int, region: RegionRef, body: PriorityIn) -> int:
    """A priority with its gap cells' figures frozen from the region's gap matrix as it is now."""
    figures = freeze(conn, region, normalise_cells(conn, body.cells))
    row = conn.execute(
        """INSERT INTO workshop_priority (workshop_id, rank, title, description)
           VALUES (%s, 1000000, %s, %s) RETURNING id""", [workshop_id, body.title, body.description]).fetchone()
    assert row is not None
    for f in figures:
        conn.execute(
            """INSERT INTO workshop_priority_cell (priority_id, category, stage, then_population_uncovered,
                   then_share_uncovered, then_services, then_run_id, then_finished_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
            [row["id"], f["category"], f["stage"], f["population_uncovered"], f["share_uncovered"],
             f["services"], f["run_id"], f["finished_at"]])
    _rerank(conn, workshop_id, row["id"], body.rank or 1000000)
    return int(row["id"])


def _action_fields(conn: Connection, workshop_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """The lead organization must be an active one in the directory, the priority one of this workshop."""
    lead = fields.get("lead_organization_id")
    if lead is not None and conn.execute(
            "SELECT 1 FROM organization WHERE id = %s AND retired_at IS NULL", [lead]).fetchone() is None:
        raise _invalid("lead_organization_id", f"no active organization {lead!r} in the directory")
    priority = fields.get("priority_id")
    if priority is not None and conn.execute(
            "SELECT 1 FROM workshop_priority WHERE id = %s AND workshop_id = %s",
            [priority, workshop_id]).fetchone() is None:
        raise _invalid("priority_id", f"workshop {workshop_id} has no priority {priority}")
    return fields


def insert_action(conn: Connection, workshop_id: int, body: ActionItemIn) -> int:
    f = _action_fields(conn, workshop_id, body.model_dump())
    row = conn.execute(
        """INSERT INTO action_item (workshop_id, priority_id, what, lead_organization_id, partners, due_on, status)
           VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        [workshop_id, f["priority_id"], f["what"], f["lead_organization_id"], f["partners"], f["due_on"],
         f["status"]]).fetchone()
    assert row is not None
    return int(row["id"])


def insert_update(conn: Connection, item_id: int, body: ActionUpdateIn) -> int:
    """A quarterly meeting's word on an item; the item takes the status it gives."""
    row = conn.execute(
        "INSERT INTO action_update (item_id, quarter, body, status) VALUES (%s, %s, %s, %s) RETURNING id",
        [item_id, body.quarter, body.body, body.status]).fetchone()
    assert row is not None
    _update_columns(conn, "action_item", item_id, {"status": body.status})
    return int(row["id"])


# --- the API's writes: region check, change, audit --------------------------------------------

def _audited(conn: Connection, key: ApiKey, action: str, table: str, row_id: int, before: dict | None) -> None:
    audit.record(conn, key, action, TABLES[table], str(row_id), before, _snapshot(conn, table, row_id))


def _authorised(conn: Connection, key: ApiKey, workshop_id: int) -> RegionRef:
    region, _ = workshop_ref(conn, workshop_id)
    check_region(conn, key, region)
    return region


def create_workshop(conn: Connection, key: ApiKey, body: WorkshopIn) -> int:
    region = workshop_region(body.region)
    with conn.transaction():
        check_region(conn, key, region)
        workshop_id = insert_workshop(conn, region, body)
        _audited(conn, key, "create", "workshop", workshop_id, None)
    return workshop_id


def update_workshop(conn: Connection, key: ApiKey, workshop_id: int, patch: WorkshopPatch) -> None:
    with conn.transaction():
        _authorised(conn, key, workshop_id)
        before = _snapshot(conn, "workshop", workshop_id)
        fields = {k: getattr(patch, k) for k in patch.model_fields_set if k in WORKSHOP_COLUMNS}
        for k in ("title", "status", "notes", "published"):
            if k in fields and fields[k] is None:
                raise _invalid(k, "may not be null")
        _update_columns(conn, "workshop", workshop_id, fields)
        if "sectors" in patch.model_fields_set:
            _write_sectors(conn, workshop_id, {str(k): v for k, v in (patch.sectors or {}).items()})
            conn.execute("UPDATE workshop SET updated_at = now() WHERE id = %s", [workshop_id])
        _audited(conn, key, "update", "workshop", workshop_id, before)


def _add(conn: Connection, key: ApiKey, workshop_id: int, table: str,
         insert: Callable[[RegionRef], int]) -> int:
    """One row added to a workshop: the key's region checked, `insert` given the workshop's
    region, the row audited, all in one transaction; the new row's id."""
    with conn.transaction():
        row_id = insert(_authorised(conn, key, workshop_id))
        _audited(conn, key, "create", table, row_id, None)
    return row_id


def add_barrier(conn: Connection, key: ApiKey, workshop_id: int, body: BarrierIn) -> int:
    return _add(conn, key, workshop_id, "workshop_barrier", lambda region: insert_barrier(conn, workshop_id, region, body))


def update_barrier(conn: Connection, key: ApiKey, workshop_id: int, barrier_id: int, patch: BarrierPatch) -> None:
    with conn.transaction():
        region = _authorised(conn, key, workshop_id)
        _child(conn, "workshop_barrier", workshop_id, barrier_id)
        before = _snapshot(conn, "workshop_barrier", barrier_id)
        fields = {k: getattr(patch, k) for k in patch.model_fields_set}
        if fields.get("kind", "") is None:
            raise _invalid("kind", "may not be null")
        fields = _barrier_fields(conn, region, {k: ([] if k == "counties" and v is None else
                                                     "" if k == "description" and v is None else v)
                                                 for k, v in fields.items()})
        _update_columns(conn, "workshop_barrier", barrier_id, fields)
        _audited(conn, key, "update", "workshop_barrier", barrier_id, before)


def add_priority(conn: Connection, key: ApiKey, workshop_id: int, body: PriorityIn) -> int:
    return _add(conn, key, workshop_id, "workshop_priority",
                lambda region: insert_priority(conn, workshop_id, region, body))


def update_priority(conn: Connection, key: ApiKey, workshop_id: int, priority_id: int,
                    patch: PriorityPatch) -> None:
    """Title, description and rank; the cells and their frozen figures stay as they were set."""
    with conn.transaction():
        _authorised(conn, key, workshop_id)
        _child(conn, "workshop_priority", workshop_id, priority_id)
        before = _snapshot(conn, "workshop_priority", priority_id)
        fields = {k: getattr(patch, k) for k in patch.model_fields_set if k in ("title", "description")}
        if fields.get("title", "") is None:
            raise _invalid("title", "may not be null")
        _update_columns(conn, "workshop_priority", priority_id,
                        {k: "" if v is None else v for k, v in fields.items()})
        if patch.rank is not None:
            _rerank(conn, workshop_id, priority_id, patch.rank)
        _audited(conn, key, "update", "workshop_priority", priority_id, before)


def add_action(conn: Connection, key: ApiKey, workshop_id: int, body: ActionItemIn) -> int:
    return _add(conn, key, workshop_id, "action_item", lambda _: insert_action(conn, workshop_id, body))


def update_action(conn: Connection, key: ApiKey, workshop_id: int, item_id: int, patch: ActionItemPatch) -> None:
    with conn.transaction():
        _authorised(conn, key, workshop_id)
        _child(conn, "action_item", workshop_id, item_id)
        before = _snapshot(conn, "action_item", item_id)
        fields = {k: getattr(patch, k) for k in patch.model_fields_set}
        for k in ("what", "status"):
            if k in fields and fields[k] is None:
                raise _invalid(k, "may not be null")
        if "partners" in fields and fields["partners"] is None:
            fields["partners"] = []
        _update_columns(conn, "action_item", item_id, _action_fields(conn, workshop_id, fields))
        _audited(conn, key, "update", "action_item", item_id, before)


def add_update(conn: Connection, key: ApiKey, workshop_id: int, item_id: int, body: ActionUpdateIn) -> int:
    with conn.transaction():
        _authorised(conn, key, workshop_id)
        _child(conn, "action_item", workshop_id, item_id)
        before = _snapshot(conn, "action_item", item_id)
        update_id = insert_update(conn, item_id, body)
        _audited(conn, key, "create", "action_update", update_id, None)
        _audited(conn, key, "update", "action_item", item_id, before)
    return update_id


def delete_row(conn: Connection, key: ApiKey, workshop_id: int, table: str, row_id: int) -> None:
    """Remove a barrier, priority or action item (its cells and updates go with it); audited with
    the whole row before, so nothing is lost from the trail."""
    with conn.transaction():
        _authorised(conn, key, workshop_id)
        _child(conn, table, workshop_id, row_id)
        before = _snapshot(conn, table, row_id)
        conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(sql.Identifier(table)), [row_id])
        if table == "workshop_priority":
            _rerank(conn, workshop_id)
        audit.record(conn, key, "delete", TABLES[table], str(row_id), before, None)
