"""Reading workshops: a list of summaries, one workshop with its barriers, priorities ("then → now")
and action plan, and the next quarterly meeting's agenda. The plan is left out (`withheld`) for a
reader who may not see it yet (geo.workshops.access)."""

from __future__ import annotations

from geo.db import Connection, query
from geo.errors import NotFound
from geo.keys import ApiKey
from geo.scope import RegionRef
from geo.workshops.access import covers
from geo.workshops.gaps import current_figures, missing_note
from geo.workshops.schemas import (
    BARRIER_NAMES,
    ITEM_STATUS_NAMES,
    OPEN_ITEM_STATUSES,
    SECTOR_NAMES,
    STATUS_NAMES,
)


def _summary(row: dict) -> dict:
    sectors = [{**s, "name": SECTOR_NAMES.get(s["sector"], s["sector"])} for s in row["sectors"]]
    return {**row, "sectors": sectors, "status_name": STATUS_NAMES[row["status"]]}


def workshop_summaries(conn: Connection, *, region: RegionRef | None = None, state_fips: str | None = None,
                       status: str | None = None, workshop_id: int | None = None) -> list[dict]:
    """Workshops (status, dates, sector counts): public facts, whoever asks."""
    rows = conn.execute(query("workshop_summaries"), {
        "id": workshop_id, "kind": region.kind if region else None, "code": region.code if region else None,
        "state_fips": state_fips, "status": status}).fetchall()
    return [_summary(r) for r in rows]


def workshop_for_region(conn: Connection, region: RegionRef) -> int | None:
    """The id of the region's workshop, if it has one."""
    row = conn.execute("SELECT id FROM workshop WHERE region_kind = %s AND region_code = %s",
                       [region.kind, region.code]).fetchone()
    return row["id"] if row else None


def barriers(conn: Connection, workshop_id: int) -> list[dict]:
    rows = conn.execute(
        """SELECT id, kind, description, category, stage, counties FROM workshop_barrier
           WHERE workshop_id = %s ORDER BY id""", [workshop_id]).fetchall()
    return [{**r, "kind_name": BARRIER_NAMES.get(r["kind"], r["kind"])} for r in rows]


def priorities(conn: Connection, workshop_id: int, region: RegionRef) -> list[dict]:
    """Ranked priorities, each cell with its frozen figures (`then`) and the newest served (`now`)."""
    rows = conn.execute(query("workshop_priorities"), {"workshop_id": workshop_id}).fetchall()
    if not rows:
        return []
    now = current_figures(conn, region)
    result = []
    for row in rows:
        cells = []
        for cell in row["cells"]:
            key = (cell["category"], cell["stage"])
            then = {k: cell[k] for k in ("population_uncovered", "share_uncovered", "services", "run_id",
                                         "finished_at")}
            cells.append({"category": cell["category"], "stage": cell["stage"], "then": then,
                          "now": now.get(key),
                          "now_note": None if key in now else missing_note(conn, region, cell["category"])})
        result.append({**row, "cells": cells})
    return result


def actions(conn: Connection, workshop_id: int) -> list[dict]:
    rows = conn.execute(query("workshop_actions"), {"workshop_id": workshop_id}).fetchall()
    return [{**r, "status_name": ITEM_STATUS_NAMES[r["status"]]} for r in rows]


def workshop(conn: Connection, workshop_id: int, key: ApiKey | None = None) -> dict:
    """One workshop; its plan (notes, barriers, priorities, actions) when published or the key covers it."""
    found = workshop_summaries(conn, workshop_id=workshop_id)
    if not found:
        raise NotFound(f"no workshop {workshop_id}")
    summary = found[0]
    region = RegionRef(summary["region_kind"], summary["region_code"])
    if not (summary["published"] or covers(conn, key, region)):
        return {**summary, "notes": None, "barriers": [], "priorities": [], "actions": [], "withheld": True}
    return {**summary, "barriers": barriers(conn, workshop_id), "priorities": priorities(conn, workshop_id, region),
            "actions": actions(conn, workshop_id), "withheld": False}


def gap_changes(plan: dict) -> list[dict]:
    """Each priority cell's figures then and now (people beyond reach, services), for the agenda."""
    changes = []
    for p in plan["priorities"]:
        for cell in p["cells"]:
            then, now = cell["then"], cell["now"]
            changes.append({
                "priority_id": p["id"], "priority": p["title"], "category": cell["category"],
                "stage": cell["stage"], "then_population_uncovered": then["population_uncovered"],
                "now_population_uncovered": now["population_uncovered"] if now else None,
                "change": round(now["population_uncovered"] - then["population_uncovered"], 1) if now else None,
                "then_services": then["services"], "now_services": now["services"] if now else None,
                "note": cell["now_note"],
            })
    return changes


def agenda(conn: Connection, workshop_id: int, key: ApiKey | None = None) -> dict:
    """The next quarterly meeting: the items still open (with their last update) and what changed in
    the priorities' gaps since they were set."""
    plan = workshop(conn, workshop_id, key)
    if plan["withheld"]:
        raise NotFound(f"workshop {workshop_id} has not published its action plan yet")
    set_at = [p["set_at"] for p in plan["priorities"]]
    return {
        "workshop_id": workshop_id, "region": plan["region"], "meeting_on": plan["next_meeting_on"],
        "since": min(set_at) if set_at else None,
        "open_items": [a for a in plan["actions"] if a["status"] in OPEN_ITEM_STATUSES],
        "gap_changes": gap_changes(plan),
    }


def published_workshop(conn: Connection, region: RegionRef) -> dict | None:
    """The region's workshop with its plan, for public pages: None unless it has one and published it."""
    workshop_id = workshop_for_region(conn, region)
    if workshop_id is None:
        return None
    plan = workshop(conn, workshop_id)
    return None if plan["withheld"] else plan
