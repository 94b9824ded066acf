"""Regions named `kind:code` (`circuit:MO-16`, `county:29095`, `division:MA-suffolk`, `state:MO`):
the one reference type the map, the layers, the desert engine, the API and the CLI all take, and
what is known about the area a map shows."""

from __future__ import annotations

from dataclasses import dataclass

from geo.db import Connection, query
from geo.errors import BadRequest, NotFound
from geo.states import state_fips

REGION_REF_KINDS = ("state", "county", "circuit", "division")
MAX_CODE_LENGTH = 64


@dataclass(frozen=True)
class RegionRef:
    """A region by kind and code; a state's code is its FIPS code."""

    kind: str
    code: str

    @classmethod
    def parse(cls, text: str) -> RegionRef:
        """`circuit:MO-16` → RegionRef('circuit', 'MO-16'); `state:MO` → RegionRef('state', '29').
        The kind may be in any case; the error says what a good value looks like."""
        kind, sep, code = text.partition(":")
        kind, code = kind.strip().lower(), code.strip()
        if not sep or kind not in REGION_REF_KINDS or not code or len(code) > MAX_CODE_LENGTH:
            raise BadRequest(
                f"unknown region {text[:80]!r}: use kind:code with kind one of {', '.join(REGION_REF_KINDS)}, "
                "e.g. circuit:MO-16, county:29095, division:MA-suffolk or state:MO"
            )
        return cls(kind, state_fips(code) if kind == "state" else code)

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"


@dataclass(frozen=True)
class ScopeInfo:
    """What a map needs to know about the region it shows."""

    scope: RegionRef
    name: str
    state_fips: str | None
    bounds: tuple[float, float, float, float]  # minx, miny, maxx, maxy
    county_fips: list[str]


def scope_info(conn: Connection, scope: RegionRef) -> ScopeInfo:
    """Name, state, bounds and member counties of a scope; NotFound when no such region exists."""
    row = conn.execute(query("scope_info"), {"kind": scope.kind, "code": scope.code}).fetchone()
    if row is None:
        raise NotFound(f"no {scope.kind} with code {scope.code!r}")
    return ScopeInfo(scope, row["name"], row["state_fips"],
                     (row["minx"], row["miny"], row["maxx"], row["maxy"]), list(row["county_fips"] or []))


def scope_choices(conn: Connection) -> list[dict]:
    """Every court region and county with its state, for pickers on the map and embed builder."""
    return list(conn.execute(
        """SELECT r.kind, r.code, r.name, r.state_fips FROM region r
           WHERE r.kind IN ('circuit', 'division')
              OR (r.kind = 'county' AND r.state_fips IN (SELECT DISTINCT state_fips FROM region
                                                          WHERE kind IN ('circuit', 'division')))
           ORDER BY r.state_fips, r.kind <> 'circuit' AND r.kind <> 'division', r.name"""
    ))


def map_choices(conn: Connection) -> dict[str, list[dict]]:
    """Categories and landscape stages as planners pick them (code and name)."""
    return {
        "categories": list(conn.execute(
            "SELECT code, name FROM taxonomy_term WHERE parent_id IS NULL ORDER BY name")),
        "stages": list(conn.execute("SELECT code, name FROM landscape_stage ORDER BY position")),
    }


def category_thresholds(conn: Connection) -> dict[str, tuple[float, float]]:
    """Each category's distance beyond which people count as beyond reach: (urban, rural) metres."""
    return {r["code"]: (r["urban_threshold_m"], r["rural_threshold_m"]) for r in conn.execute(
        "SELECT code, urban_threshold_m, rural_threshold_m FROM taxonomy_term WHERE parent_id IS NULL")}
