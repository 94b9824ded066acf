"""Who may write a workshop and who may read its plan: the region's editors (an editor key whose
regions cover every county of the workshop's region, the rule geo.keys.check_counties applies to
directory records) and admins. Status, dates and sector counts are public; barriers, priorities,
the action plan and notes are public once the workshop is published."""

from __future__ import annotations

from geo.db import Connection, query
from geo.errors import BadRequest, NotFound
from geo.keys import ApiKey, check_counties
from geo.scope import RegionRef, scope_info

WORKSHOP_REGION_KINDS = ("circuit", "division", "county")


def workshop_region(text: str) -> RegionRef:
    """A workshop's region: a circuit, division or county (not a state or a custom region)."""
    region = RegionRef.parse(text)
    if region.kind not in WORKSHOP_REGION_KINDS:
        raise BadRequest(f"a workshop is held for a {', '.join(WORKSHOP_REGION_KINDS)}, not a {region.kind}")
    return region


def region_counties(conn: Connection, region: RegionRef) -> list[str]:
    """The county FIPS codes of a region (NotFound when there is no such region)."""
    return scope_info(conn, region).county_fips


def check_region(conn: Connection, key: ApiKey, region: RegionRef) -> None:
    """403 unless the key may edit everything in `region` (admins anything)."""
    check_counties(conn, key, list(region_counties(conn, region)))


def covers(conn: Connection, key: ApiKey | None, region: RegionRef) -> bool:
    """True when the key may edit the region: it may then read the region's unpublished plan."""
    if key is None:
        return False
    if key.is_admin:
        return True
    counties = region_counties(conn, region)
    row = conn.execute(query("counties_in_regions"),
                       {"counties": counties, "regions": list(key.regions)}).fetchone()
    return bool(counties and row and row["ok"])


def workshop_ref(conn: Connection, workshop_id: int) -> tuple[RegionRef, bool]:
    """A workshop's region and whether it is published (NotFound when there is no such workshop)."""
    row = conn.execute("SELECT region_kind, region_code, published FROM workshop WHERE id = %s",
                       [workshop_id]).fetchone()
    if row is None:
        raise NotFound(f"no workshop {workshop_id}")
    return RegionRef(row["region_kind"], row["region_code"]), row["published"]


def visible_workshops(conn: Connection, key: ApiKey | None) -> list[int]:
    """Ids of the workshops whose plan this reader may see: published ones, and those of the key's regions."""
    rows = conn.execute("SELECT id, region_kind, region_code, published FROM workshop ORDER BY id").fetchall()
    return [r["id"] for r in rows
            if r["published"] or covers(conn, key, RegionRef(r["region_kind"], r["region_code"]))]
