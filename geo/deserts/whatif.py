"""What if services of a category were added, moved or removed: the people newly within reach.

Starts from the newest servable run covering the region (its stored distances and the sites it
measured from, geo/deserts/stored.py) and changes only what the hypothetical services can change:

- A cell is within reach when its geodesic distance to the nearest service is at most its
  threshold (urban or rural), as in the run.
- An added service, or a moved one's new point, can only bring in cells within the larger
  threshold of it; a removed service, or a moved one's old point, can only lose cells whose
  nearest service it was (their stored distance equals the distance to it). Those cells alone get
  a new distance: to the nearest of the sites that remain plus the new points, with the run's
  geodesics (geo/deserts/measures.py).

Only public services can be moved or removed (a confidential one is answered as unknown, so the
call says nothing about it). Nothing is written: the answer is counts of people per county and,
when asked for (`cells`), the cells whose reach changes, drawn as the desert layer draws them
(their coverage before is already public there; after is the caller's own hypothesis).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from geo.db import Connection
from geo.deserts.draw import rings
from geo.deserts.measures import LocalProjection, nearest_m
from geo.deserts.runs import data_version
from geo.deserts.stored import (
    SiteSet,
    StoredCells,
    newest_run,
    run_sites,
    stored_cells,
    stored_measures,
)
from geo.errors import BadRequest, NotFound
from geo.scope import RegionRef

MAX_CHANGES = 50


@dataclass(frozen=True)
class Change:
    """One hypothetical change: add a service at a point, move a service there, or remove one."""

    action: str  # "add", "move" or "remove"
    lon: float | None = None
    lat: float | None = None
    service_id: str | None = None


def _check(changes: Sequence[Change]) -> None:
    """Each change names what it needs; at most MAX_CHANGES."""
    if not changes:
        raise BadRequest("name at least one change: add, move or remove")
    if len(changes) > MAX_CHANGES:
        raise BadRequest(f"{len(changes)} changes: at most {MAX_CHANGES} at once")
    for k, c in enumerate(changes):
        if c.action not in ("add", "move", "remove"):
            raise BadRequest(f"changes[{k}].action {c.action!r}: use add, move or remove")
        if c.action != "remove" and (c.lon is None or c.lat is None):
            raise BadRequest(f"changes[{k}]: {c.action} needs lon and lat")
        if c.action != "add" and not c.service_id:
            raise BadRequest(f"changes[{k}]: {c.action} needs service_id")


def _removed_sites(sites: SiteSet, serving: np.ndarray, changes: Sequence[Change], category: str) -> np.ndarray:
    """Indexes (into `serving`) of the sites that moved or were removed; only public ones may be."""
    by_service: dict[str, list[int]] = {}
    for pos, k in enumerate(serving):
        if sites.exact[k]:
            by_service.setdefault(sites.service_id[k], []).append(pos)
    out: list[int] = []
    for c in changes:
        if c.action == "add":
            continue
        if c.service_id not in by_service:
            raise NotFound(f"no public {category!r} service {c.service_id!r} in this run's area")
        out += by_service[c.service_id]
    return np.array(sorted(set(out)), dtype=np.int64)


def what_if(conn: Connection, region: RegionRef, category: str, changes: Sequence[Change], *,
            stage: str | None = None, cells: bool = False) -> dict:
    """People within reach before and after the changes, per county of `region` and overall; with
    `cells`, also the cells that change as a GeoJSON FeatureCollection (`changed_cells`)."""
    _check(changes)
    run, counties = newest_run(conn, region, category, stage)
    surface = stored_cells(conn, run["surface_id"], counties)
    m = stored_measures(conn, run["id"], category, stage, surface)
    threshold = m.threshold(surface.urban)
    before = m.distance_m <= threshold
    after = before.copy()

    new_lon = np.array([c.lon for c in changes if c.action != "remove"], dtype=float)
    new_lat = np.array([c.lat for c in changes if c.action != "remove"], dtype=float)
    needs_sites = any(c.action != "add" for c in changes)
    sites = run_sites(conn, run["id"], category) if needs_sites else None
    serving = sites.serving(stage) if sites is not None else np.zeros(0, dtype=np.int64)
    gone = _removed_sites(sites, serving, changes, category) if sites is not None else np.zeros(0, dtype=np.int64)
    gone_lon = sites.lon[serving[gone]] if sites is not None else np.zeros(0)
    gone_lat = sites.lat[serving[gone]] if sites is not None else np.zeros(0)

    projection = LocalProjection.around(np.concatenate([surface.lon, new_lon, gone_lon]),
                                        np.concatenate([surface.lat, new_lat, gone_lat]))
    reach_m = max(m.urban_m, m.rural_m) * (1 + projection.eps)
    demand_all = projection.points(surface.lon, surface.lat)
    touched = np.zeros(len(surface), dtype=bool)
    if len(new_lon):
        added = projection.points(new_lon, new_lat)
        planar, _ = cKDTree(added.xy).query(demand_all.xy, k=1, distance_upper_bound=reach_m)
        near_new = np.flatnonzero(np.isfinite(planar) & ~before)
        d_new, _ = nearest_m(projection.points(surface.lon[near_new], surface.lat[near_new]), added, projection.eps)
        after[near_new] |= d_new <= threshold[near_new]
        touched[near_new] = True
    if len(gone):
        removed = projection.points(gone_lon, gone_lat)
        planar, _ = cKDTree(removed.xy).query(demand_all.xy, k=1, distance_upper_bound=reach_m)
        lost = np.flatnonzero(np.isfinite(planar) & before)
        d_gone, _ = nearest_m(projection.points(surface.lon[lost], surface.lat[lost]), removed, projection.eps)
        lost = lost[d_gone <= m.distance_m[lost] + 1e-6]  # their nearest service is leaving
        keep = np.setdiff1d(serving, serving[gone])
        assert sites is not None
        rest = projection.points(np.concatenate([sites.lon[keep], new_lon]),
                                 np.concatenate([sites.lat[keep], new_lat]))
        d_rest, _ = nearest_m(projection.points(surface.lon[lost], surface.lat[lost]), rest, projection.eps)
        after[lost] = d_rest <= threshold[lost]
        touched[lost] = True
    answer = _answer(conn, run, surface, before, after, int(touched.sum()))
    if cells:
        answer["changed_cells"] = changed_cells(surface, before, after)
    return answer


def changed_cells(surface: StoredCells, before: np.ndarray, after: np.ndarray) -> dict:
    """The cells whose reach changes, as GeoJSON: each hexagon (6 decimals, as the desert layer's)
    with its H3 index, `gained` (now within reach) or `lost`, and its people."""
    k = np.flatnonzero(before != after)
    ids = surface.h3[k].astype(np.int64)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": format(int(h), "x"),
         "properties": {"h3": format(int(h), "x"), "change": "gained" if after[i] else "lost",
                        "population": round(float(surface.population[i]), 1)},
         "geometry": {"type": "Polygon", "coordinates": [np.round(ring, 6).tolist()]}}
        for h, i, ring in zip(ids.tolist(), k.tolist(), rings(ids), strict=True)]}


def _answer(conn: Connection, run: dict, cells, before: np.ndarray, after: np.ndarray,  # type: ignore[no-untyped-def]
            cells_changed: int) -> dict:
    """Per county and overall: people, within reach before and after, newly within or beyond reach."""
    n = len(cells.county_fips)
    pop = cells.population

    def per_county(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cells.county, weights=np.where(mask, pop, 0.0), minlength=n)

    people = np.bincount(cells.county, weights=pop, minlength=n)
    before_c, after_c = per_county(before), per_county(after)
    gained, lost = per_county(after & ~before), per_county(before & ~after)
    names = {r["code"]: r["name"] for r in conn.execute(
        "SELECT code, name FROM region WHERE kind = 'county' AND code = ANY(%s)", [cells.county_fips])}

    def row(p: float, b: float, a: float, g: float, lo: float) -> dict:
        return {"population": round(p, 1), "within_reach_before": round(b, 1), "within_reach_after": round(a, 1),
                "newly_within_reach": round(g, 1), "newly_beyond_reach": round(lo, 1)}

    counties = [{"code": fips, "name": names.get(fips, fips),
                 **row(people[k], before_c[k], after_c[k], gained[k], lost[k])}
                for k, fips in enumerate(cells.county_fips)]
    counties.sort(key=lambda c: (-c["newly_within_reach"], -c["newly_beyond_reach"], c["code"]))
    return {"run": {"id": run["id"], "region": f"{run['region_kind']}:{run['region_code']}",
                    "resolution": run["resolution"], "finished_at": run["finished_at"].isoformat(),
                    "stale": run["data_version"] != data_version(conn)},
            "cells_changed": cells_changed,
            "total": row(people.sum(), before_c.sum(), after_c.sum(), gained.sum(), lost.sum()),
            "counties": counties}
