"""Statewide progress: every circuit (Missouri) or division (Massachusetts) with its workshop's
status, and the headline the state team tracks ("31 of 46 circuits have held their workshop")."""

from __future__ import annotations

from geo.db import Connection, query
from geo.errors import NotFound
from geo.regions import court_kind_for_state
from geo.states import state_abbr
from geo.workshops.schemas import HELD_STATUSES, STATUS_NAMES

NO_WORKSHOP = "No workshop yet"
PLURAL = {"circuit": "circuits", "division": "divisions", "county": "counties"}


def _rows(conn: Connection, state_fips: str, *, with_geometry: bool, tolerance_deg: float) -> tuple[str, list[dict]]:
    kind = court_kind_for_state(conn, state_fips)
    if kind is None:
        raise NotFound(f"state {state_fips} has no circuits or divisions loaded (atlas regions load)")
    rows = conn.execute(query("workshop_progress"), {
        "kind": kind, "state_fips": state_fips, "with_geometry": with_geometry,
        "tolerance_deg": tolerance_deg}).fetchall()
    return kind, [{**r, "status_name": STATUS_NAMES[r["status"]] if r["status"] else NO_WORKSHOP} for r in rows]


def progress(conn: Connection, state_fips: str) -> dict:
    """Counts by status over the state's court regions, the headline, and each region's status."""
    kind, rows = _rows(conn, state_fips, with_geometry=False, tolerance_deg=0)
    by_status = {status: sum(1 for r in rows if r["status"] == status) for status in STATUS_NAMES}
    by_status["none"] = sum(1 for r in rows if r["status"] is None)
    held = sum(by_status[s] for s in HELD_STATUSES)
    return {
        "state": state_abbr(state_fips) or state_fips, "region_kind": kind, "regions": len(rows), "held": held,
        "by_status": by_status,
        "headline": f"{held} of {len(rows)} {PLURAL[kind]} have held their workshop",
        "items": [{k: r[k] for k in ("kind", "code", "name", "status", "status_name", "workshop_id", "participants")}
                  for r in rows],
    }


def progress_geojson(conn: Connection, state_fips: str, *, tolerance_deg: float = 0.003) -> dict:
    """The same regions as GeoJSON features (simplified shapes) for the statewide map."""
    _, rows = _rows(conn, state_fips, with_geometry=True, tolerance_deg=tolerance_deg)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r["code"], "geometry": r["geometry"],
         "properties": {"kind": r["kind"], "code": r["code"], "name": r["name"], "status": r["status"],
                        "status_name": r["status_name"], "participants": r["participants"],
                        "report": f"/report/{r['kind']}:{r['code']}" if r["workshop_id"] else None}}
        for r in rows]}
