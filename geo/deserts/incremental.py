"""Bringing a stored run up to date after a few services change, without recomputing all of it.

A run records every site it measured from with the point it used (desert_run_site, migration
0018: a confidential site's generalised point). Updating it:

1. Today's sites of the run's categories are loaded as a full run loads them (same SQL, same
   generalisation, from the run's own stored surface) and compared with the recorded ones: a site
   changed if it appeared, went, moved, or its capacity, stages or exactness changed (a changed
   known capacity can change the median every unknown one counts as: those change too). Too many
   changes, or changed regions, population areas or thresholds (the parts of the data version a
   surface depends on), and the run is recomputed in full instead.
2. For each changed category and every stage choice (all stages and each stage): only cells that
   could have a changed site as their nearest get a new distance — those whose planar distance to
   a changed point (old or new) is, within the projection's distortion bound, no farther than
   their planar-nearest unchanged site; the others keep their nearest unchanged site. Access
   changes by the changed sites' own terms only: in 2SFCA a site's ratio R_j = S_j / Σ P_i w_ij
   depends on nothing but its own point, capacity and the people around it, so the new access is
   the old minus the old sites' terms plus the new ones' (only cells within their catchment).
3. The stored arrays (the run's own stage choice) are rewritten for the counties whose cells
   changed; rollups of every stage choice change by difference (people beyond reach, people with
   a distance and its weighted sum, weighted 2SFCA), services are recounted, ranks redone; the
   run's sites and data version are brought up to date, so it is no longer stale or withheld.

The results equal a full recompute: distances exactly (the same geodesics), access and rollups up
to floating-point summation order (tests/geo/test_deserts_incremental.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from psycopg.types.json import Jsonb

from geo.db import Connection, copy_rows
from geo.deserts.measures import (
    Decay,
    LocalProjection,
    PointSet,
    catchment_pairs,
    nearest_m,
    two_step_fca,
)
from geo.deserts.model import Parameters
from geo.deserts.runs import (
    ROLLUP_COLUMNS,
    SITE_COLUMNS,
    Groups,
    ServicePoints,
    Step,
    data_version,
    load_service_points,
    rank_rollups,
    region_counties,
    rerun,
    site_rows,
    stage_codes,
)
from geo.deserts.store import Blocks, store_measures
from geo.deserts.stored import SiteSet, StoredCells, run_sites, stored_cells, stored_measures
from geo.deserts.surface import DemandSurface
from geo.errors import BadRequest
from geo.scope import RegionRef

MAX_CHANGED_SITES = 50
FOLLOW_LOCK = 0x64657365  # pg advisory lock: one follower of changes at a time

# Parts of the data version a run's surface and thresholds depend on: if one changed, recompute all.
SURFACE_PARTS = ("regions_updated", "population_areas", "thresholds")


@dataclass
class Update:
    """What an incremental update did."""

    run_id: int
    sites_changed: int
    cells_changed: int
    counties_rewritten: int


def run_parameters(run: dict) -> Parameters:
    """The parameters a run was computed with, as stored."""
    p = run["parameters"]
    return Parameters(resolution=run["resolution"], decay=Decay(kind=p.get("decay", {}).get("kind", "step")),
                      urban_density_per_km2=p.get("urban_density_per_km2", Parameters.urban_density_per_km2),
                      confidential_min_residents=p.get("confidential_min_residents",
                                                       Parameters.confidential_min_residents),
                      search_margin_m=p.get("search_margin_m", Parameters.search_margin_m),
                      place_spread=p.get("place_spread", Parameters.place_spread))


def _parts(version: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in version.split(";") if "=" in part)


def _old_sites(sites: SiteSet) -> dict[tuple[str, str], tuple]:
    return {(s, loc): (bool(sites.exact[k]), sites.county_fips[k], float(sites.lon[k]), float(sites.lat[k]),
                       float(sites.capacity[k]), tuple(sorted(sites.stages[k])))
            for k, (s, loc) in enumerate(zip(sites.service_id, sites.location_id, strict=True))}


def _new_sites(points: ServicePoints) -> dict[tuple[str, str], tuple]:
    out: dict[tuple[str, str], tuple] = {}
    for k, key in enumerate(zip(points.service_id, points.location_id, strict=True)):
        out.setdefault(key, (bool(points.exact[k]), points.county_fips[k], float(points.lon[k]),
                             float(points.lat[k]), float(points.capacity[k]), tuple(sorted(points.stages[k]))))
    return out


def update_run(conn: Connection, run_id: int, *, max_changed: int = MAX_CHANGED_SITES) -> Update | None:
    """Bring run `run_id` up to date by recomputing only what changed sites reach; None when it
    must be recomputed in full (too many changes, its surface's inputs changed, or it predates
    recorded site points)."""
    run = conn.execute("SELECT * FROM desert_run WHERE id = %s AND status = 'done' FOR UPDATE",
                       [run_id]).fetchone()
    if run is None or run["surface_id"] is None:
        return None
    version = data_version(conn)
    now, then = _parts(version), _parts(run["data_version"] or "")
    if any(now.get(p) != then.get(p) for p in SURFACE_PARTS):
        return None
    params = run_parameters(run)
    region = RegionRef(run["region_kind"], run["region_code"])
    counties = region_counties(conn, region)
    if [c.fips for c in counties] != run["parameters"].get("counties"):
        return None
    categories = list(run["parameters"].get("categories") or [])
    surface, cells, order = _surface(conn, run["surface_id"], counties)
    try:
        old = {c: _old_sites(run_sites(conn, run_id, c)) for c in categories}
    except BadRequest:
        return None
    points = load_service_points(conn, counties, categories, params, surface)
    new = {c: _new_sites(points[c]) for c in categories}
    changed = {c: {k for k in old[c].keys() | new[c].keys() if old[c].get(k) != new[c].get(k)} for c in categories}
    n_changed = sum(len(v) for v in changed.values())
    if n_changed > max_changed:
        return None
    cells_changed, rewritten = 0, 0
    if n_changed:
        projection = LocalProjection.around(
            np.concatenate([surface.lon, *(p.lon for p in points.values())]),
            np.concatenate([surface.lat, *(p.lat for p in points.values())]))
        state = _State(surface, cells, order, projection, params, run, Blocks.of([c.fips for c in counties], surface.county),
                       Groups.of(surface, region, _region_name(conn, region)), stage_codes(conn))
        for category in categories:
            if changed[category]:
                n, counties_done = state.update_category(conn, category, old[category], new[category], points[category],
                                                         changed[category])
                cells_changed += n
                rewritten += counties_done
                conn.execute("DELETE FROM desert_run_site WHERE run_id = %s AND category = %s", [run_id, category])
                copy_rows(conn, "desert_run_site", SITE_COLUMNS, site_rows(run_id, category, points[category]))
    conn.execute(
        """UPDATE desert_run SET data_version = %s, finished_at = clock_timestamp(),
                  parameters = parameters || %s WHERE id = %s""",
        [version, Jsonb({"updated": {"sites_changed": n_changed, "cells_changed": cells_changed}}), run_id])
    return Update(run_id, n_changed, cells_changed, rewritten)


def _region_name(conn: Connection, region: RegionRef) -> str:
    row = conn.execute("SELECT name FROM region WHERE kind = %s AND code = %s", [region.kind, region.code]).fetchone()
    return row["name"] if row else region.code


def _surface(conn: Connection, surface_id: int, counties: list) -> tuple[DemandSurface, StoredCells, np.ndarray]:
    """The run's stored surface in H3 order, as computing made it, and the permutation from the
    stored (county block) order to it."""
    cells = stored_cells(conn, surface_id)
    order = np.argsort(cells.h3, kind="stable")
    index = {c.fips: k for k, c in enumerate(counties)}
    county = np.array([index[f] for f in cells.county_fips], dtype=np.int64)[cells.county]
    empty = np.zeros(0)
    surface = DemandSurface(cells.resolution, cells.h3[order], cells.lon[order], cells.lat[order], county[order],
                            list(counties), cells.population[order], empty.astype(np.int64), empty)
    return surface, cells, order


def _supply(projection: LocalProjection, sites: dict[tuple[str, str], tuple], keys: list[tuple[str, str]],
            stage: str | None) -> tuple[PointSet, np.ndarray]:
    """The sites among `keys` serving `stage`: points and capacities."""
    chosen = [sites[k] for k in keys if stage is None or stage in sites[k][5]]
    lon = np.array([s[2] for s in chosen], dtype=float)
    lat = np.array([s[3] for s in chosen], dtype=float)
    return projection.points(lon, lat), np.array([s[4] for s in chosen], dtype=float)


def _union(a: PointSet, b: PointSet, projection: LocalProjection) -> PointSet:
    return projection.points(np.concatenate([a.lon, b.lon]), np.concatenate([a.lat, b.lat]))


@dataclass
class _State:
    """One run being updated: its surface (H3 order), projection, storage blocks and rollup groups."""

    surface: DemandSurface
    cells: StoredCells
    order: np.ndarray
    projection: LocalProjection
    params: Parameters
    run: dict
    blocks: Blocks
    groups: Groups
    stages: list[str]

    def __post_init__(self) -> None:
        self.demand = self.projection.points(self.surface.lon, self.surface.lat)
        self.urban = self.cells.urban[self.order]

    def update_category(self, conn: Connection, category: str, old: dict, new: dict, points: ServicePoints,
                        changed: set) -> tuple[int, int]:
        """Update one category's stored arrays and rollups; returns cells and counties rewritten."""
        run_id, stored_stage, eps = self.run["id"], self.run["stage"], self.projection.eps
        m = stored_measures(conn, run_id, category, stored_stage, self.cells)
        distance, a2, ae = m.distance_m[self.order], m.access_2sfca[self.order], m.access_e2sfca[self.order]
        threshold = np.where(self.urban, m.urban_m, m.rural_m)
        population = self.surface.population
        unchanged = sorted(k for k in new if k not in changed)
        gone, came = sorted(k for k in changed if k in old), sorted(k for k in changed if k in new)
        rows = {(r["stage"], r["region_kind"], r["region_code"]): dict(r) for r in conn.execute(
            "SELECT * FROM desert_rollup WHERE run_id = %s AND category = %s", [run_id, category])}
        touched = np.zeros(len(population), dtype=bool)
        for stage in [None, *self.stages]:
            kept, _ = _supply(self.projection, new, unchanged, stage)
            before, cap_before = _supply(self.projection, old, gone, stage)
            after, cap_after = _supply(self.projection, new, came, stage)
            if len(before) == 0 and len(after) == 0:
                continue
            moved = _union(before, after, self.projection)
            planar_moved = moved.tree.query(self.demand.xy, k=1)[0]
            planar_kept = kept.tree.query(self.demand.xy, k=1)[0] if len(kept) else np.full(len(population), np.inf)
            near = np.flatnonzero(planar_moved / (1 + eps) <= planar_kept * (1 + eps))
            cells_near = self.projection.points(self.surface.lon[near], self.surface.lat[near])
            d_old = nearest_m(cells_near, _union(kept, before, self.projection), eps)[0]
            d_new = nearest_m(cells_near, _union(kept, after, self.projection), eps)[0]
            old2, olde = self._terms(before, cap_before, m.rural_m)
            new2, newe = self._terms(after, cap_after, m.rural_m)
            delta2, deltae = new2 - old2, newe - olde
            if stage == stored_stage:
                distance[near] = d_new
                a2 += delta2
                ae += deltae
                touched[near[d_new != d_old]] = True
                touched |= (delta2 != 0) | (deltae != 0)
            self._roll(rows, stage, near, d_old, d_new, threshold, delta2, points)
        rank_rollups(list(rows.values()))
        conn.execute("DELETE FROM desert_rollup WHERE run_id = %s AND category = %s", [run_id, category])
        copy_rows(conn, "desert_rollup", ROLLUP_COLUMNS,
                  [tuple(r[c] for c in ROLLUP_COLUMNS) for r in rows.values()])
        fips_touched = {self.surface.counties[k].fips for k in np.unique(self.surface.county[touched])}
        keep = [k for k, fips in enumerate(self.blocks.fips) if fips in fips_touched]
        store_measures(conn, run_id, category, stored_stage,
                       Blocks([self.blocks.fips[k] for k in keep], [self.blocks.index[k] for k in keep]),
                       m.urban_m, m.rural_m, distance, a2, ae, replace=True)
        return int(touched.sum()), len(keep)

    def _terms(self, supply: PointSet, capacity: np.ndarray, catchment_m: float) -> tuple[np.ndarray, np.ndarray]:
        """These sites' own 2SFCA and E2SFCA terms in every cell (zero outside their catchment)."""
        pairs = catchment_pairs(self.demand, supply, catchment_m, self.params.decay, self.projection.eps)
        population = self.surface.population
        return (two_step_fca(population, capacity, pairs.demand, pairs.supply, pairs.w_2sfca),
                two_step_fca(population, capacity, pairs.demand, pairs.supply, pairs.w_e2sfca))

    def _roll(self, rows: dict, stage: str | None, near: np.ndarray, d_old: np.ndarray, d_new: np.ndarray,
              threshold: np.ndarray, delta2: np.ndarray, points: ServicePoints) -> None:
        """Change one stage choice's rollups by the difference the changed cells make."""
        pop = self.surface.population[near]
        fin_old, fin_new = np.isfinite(d_old), np.isfinite(d_new)
        deltas = {
            "uncovered": pop * ((d_new > threshold[near]).astype(float) - (d_old > threshold[near])),
            "with_distance": pop * (fin_new.astype(float) - fin_old),
            "distance_sum": pop * (np.where(fin_new, d_new, 0.0) - np.where(fin_old, d_old, 0.0)),
        }
        n = len(self.groups.kinds)
        sums = {k: np.zeros(n) for k in (*deltas, "access_sum")}
        for index in self.groups.of_cell:
            for k, values in deltas.items():
                ok = index[near] >= 0
                sums[k] += np.bincount(index[near][ok], weights=values[ok], minlength=n)
            ok = index >= 0
            sums["access_sum"] += np.bincount(index[ok], weights=(self.surface.population * delta2)[ok], minlength=n)
        services = _services_by_group(self.groups, points, stage)
        for g in range(n):
            r = rows[(stage, self.groups.kinds[g], self.groups.codes[g])]
            people, with_distance = r["population"], r["population_with_distance"]
            distance_sum = (r["mean_distance_m"] or 0.0) * with_distance + sums["distance_sum"][g]
            with_distance += sums["with_distance"][g]
            uncovered = r["population_uncovered"] + sums["uncovered"][g]
            # Snapped where a full sum is exact: no one, or everyone, beyond reach.
            r["population_uncovered"] = 0.0 if abs(uncovered) < 1e-6 else (
                people if abs(uncovered - people) < 1e-6 else uncovered)
            r["share_uncovered"] = r["population_uncovered"] / people if people > 0 else None
            r["population_with_distance"] = with_distance
            r["mean_distance_m"] = distance_sum / with_distance if with_distance > 0 else None
            if people > 0:
                r["mean_2sfca"] = ((r["mean_2sfca"] or 0.0) * people + sums["access_sum"][g]) / people
            r["services"] = services[g]


def _services_by_group(groups: Groups, points: ServicePoints, stage: str | None) -> list[int]:
    """Services of a stage choice located in each group's counties (as rollup_rows counts them)."""
    by_county: dict[str, set[str]] = {}
    for k in points.select(stage):
        if points.county_fips[k]:
            by_county.setdefault(points.county_fips[k], set()).add(points.service_id[k])
    return [len(set().union(*(by_county.get(f, set()) for f in members))) for members in groups.counties]


def refresh_runs(conn: Connection, region: RegionRef | None = None, *, full: bool = False,
                 on_step: Step | None = None) -> list[tuple[str, int]]:
    """After services change (in `region`, or anywhere): bring every stored run that overlaps it up
    to date — incrementally when few of its sites changed, else (or with `full`) by computing it
    again with its own parameters. Returns ("updated", run id) or ("recomputed", new run id) pairs."""
    fips = [c.fips for c in region_counties(conn, region)] if region else None
    runs = conn.execute(
        """SELECT id, region_kind, region_code, category, stage, resolution, parameters FROM desert_run
           WHERE status = 'done' AND (%(fips)s::text[] IS NULL OR (parameters->'counties') ?| %(fips)s::text[])
           ORDER BY id""", {"fips": fips}).fetchall()
    done: list[tuple[str, int]] = []
    for run in runs:
        if not full and update_run(conn, run["id"]) is not None:
            done.append(("updated", run["id"]))
        else:
            done.append(("recomputed", rerun(conn, run, on_step)))
    return done


@dataclass
class Followed:
    """What following a change did: runs updated in place, and runs left stale for a full recompute."""

    updated: list[int]
    stale: list[int]


def follow_changes(conn: Connection) -> Followed:
    """Right after an edit or an import commits: bring each stale run up to date where a few sites
    changed (update_run), each in its own transaction (a savepoint inside a caller's), one follower
    at a time (a second waits, then finds the runs current). Runs that need a full recompute stay
    stale, and say so, until `atlas deserts recompute`: a minute of work does not belong behind an
    edit."""
    version = data_version(conn)
    stale = [r["id"] for r in conn.execute(
        "SELECT id FROM desert_run WHERE status = 'done' AND data_version IS DISTINCT FROM %s ORDER BY id",
        [version])]
    updated = []
    for run_id in stale:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [FOLLOW_LOCK])
            if update_run(conn, run_id) is not None:
                updated.append(run_id)
    return Followed(updated, [r for r in stale if r not in updated])
