"""A stored run's cells, measures and sites as numpy arrays, for computing on top of a run.

What-if, where-to and the incremental recompute start from what a run stored rather than from a
new surface: the surface's blocks (geo/deserts/store.py) for the counties asked, the measure
arrays of one category and stage choice aligned with them, and the sites the run measured from
(desert_run_site, migration 0018: the point each was measured from — a confidential site's
generalised point, never its own). Arrays are read with `array_send`, no per-value Python work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo.db import Connection
from geo.deserts.results import covering_runs, withheld_reason
from geo.deserts.store import read_array
from geo.errors import BadRequest, NotFound
from geo.scope import RegionRef


@dataclass
class StoredCells:
    """Cells of a run's surface, county block after county block (each block in H3 order)."""

    resolution: int
    county_fips: list[str]
    county: np.ndarray  # index into county_fips, per cell
    h3: np.ndarray  # uint64
    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray
    urban: np.ndarray

    def __len__(self) -> int:
        return len(self.h3)

    def block(self, fips: str) -> slice:
        """The cells of one county (blocks are contiguous)."""
        k = self.county_fips.index(fips)
        where = np.flatnonzero(self.county == k)
        return slice(int(where[0]), int(where[-1]) + 1) if len(where) else slice(0, 0)


@dataclass
class StoredMeasures:
    """One category and stage choice of a run, aligned with a StoredCells."""

    urban_m: float
    rural_m: float
    distance_m: np.ndarray  # inf: no service within the search margin
    access_2sfca: np.ndarray
    access_e2sfca: np.ndarray

    def threshold(self, urban: np.ndarray) -> np.ndarray:
        """Each cell's threshold in metres (urban or rural)."""
        return np.where(urban, self.urban_m, self.rural_m)


@dataclass
class SiteSet:
    """The sites a run measured a category from, with the point, capacity and stages it used."""

    service_id: list[str]
    location_id: list[str]
    exact: np.ndarray
    county_fips: list[str | None]
    lon: np.ndarray
    lat: np.ndarray
    capacity: np.ndarray
    stages: list[frozenset[str]]

    def __len__(self) -> int:
        return len(self.service_id)

    def serving(self, stage: str | None) -> np.ndarray:
        """Indexes of the sites serving `stage` (all for None)."""
        if stage is None:
            return np.arange(len(self), dtype=np.int64)
        return np.array([k for k, s in enumerate(self.stages) if stage in s], dtype=np.int64)


def newest_run(conn: Connection, region: RegionRef, category: str,
               stage: str | None = None) -> tuple[dict, list[str]]:
    """The newest finished run covering `region` for `category` whose numbers may be served, and
    the region's counties."""
    runs, counties = covering_runs(conn, region, category, stage=stage)
    usable = [r for r in runs if not r["withheld"]]
    if not usable:
        raise NotFound(f"desert results for {region} are withheld: "
                       f"{withheld_reason(runs[0]['region_kind'] + ':' + runs[0]['region_code'])}")
    row = conn.execute("SELECT surface_id FROM desert_run WHERE id = %s", [usable[0]["id"]]).fetchone()
    return {**usable[0], "surface_id": row["surface_id"] if row else None}, counties


def stored_cells(conn: Connection, surface_id: int, counties: Sequence[str] | None = None) -> StoredCells:
    """The surface's cells in `counties` (all of them for None)."""
    rows = conn.execute(
        """SELECT b.county_fips, array_send(b.h3) AS h3, array_send(b.lon) AS lon, array_send(b.lat) AS lat,
                  array_send(b.population) AS population, array_send(b.urban) AS urban, s.resolution
           FROM desert_surface_block b JOIN desert_surface s ON s.id = b.surface_id
           WHERE b.surface_id = %(surface)s AND (%(counties)s::text[] IS NULL OR b.county_fips = ANY(%(counties)s))
           ORDER BY b.county_fips""",
        {"surface": surface_id, "counties": list(counties) if counties is not None else None},
    ).fetchall()
    if not rows:
        raise NotFound(f"desert surface {surface_id} has no cells in the counties asked")
    h3 = [read_array(r["h3"], ">i8").view(np.uint64) for r in rows]
    return StoredCells(
        int(rows[0]["resolution"]), [r["county_fips"] for r in rows],
        np.repeat(np.arange(len(rows)), [len(a) for a in h3]), np.concatenate(h3),
        np.concatenate([read_array(r["lon"]) for r in rows]), np.concatenate([read_array(r["lat"]) for r in rows]),
        np.concatenate([read_array(r["population"]) for r in rows]),
        np.concatenate([read_array(r["urban"], "u1").astype(bool) for r in rows]))


def stored_measures(conn: Connection, run_id: int, category: str, stage: str | None,
                    cells: StoredCells) -> StoredMeasures:
    """The run's arrays of one category and stage choice for the counties of `cells`."""
    rows = {r["county_fips"]: r for r in conn.execute(
        """SELECT county_fips, urban_threshold_m, rural_threshold_m, array_send(distance_m) AS distance_m,
                  array_send(access_2sfca) AS access_2sfca, array_send(access_e2sfca) AS access_e2sfca
           FROM desert_measure WHERE run_id = %s AND category = %s AND stage IS NOT DISTINCT FROM %s
             AND county_fips = ANY(%s)""", [run_id, category, stage, cells.county_fips])}
    missing = [f for f in cells.county_fips if f not in rows]
    if missing:
        raise NotFound(f"run {run_id} has no {category!r} measures for counties {', '.join(missing)}")
    ordered = [rows[f] for f in cells.county_fips]
    return StoredMeasures(
        float(ordered[0]["urban_threshold_m"]), float(ordered[0]["rural_threshold_m"]),
        *(np.concatenate([read_array(r[name]) for r in ordered])
          for name in ("distance_m", "access_2sfca", "access_e2sfca")))


def run_sites(conn: Connection, run_id: int, category: str) -> SiteSet:
    """The sites the run measured `category` from (BadRequest for a run made before they were
    recorded with their points: it must be recomputed first)."""
    rows = conn.execute(
        """SELECT service_id, location_id, exact, county_fips, lon, lat, capacity, stages FROM desert_run_site
           WHERE run_id = %s AND category = %s ORDER BY service_id, location_id""", [run_id, category]).fetchall()
    if any(r["lon"] is None for r in rows):
        raise BadRequest(f"run {run_id} was made before runs kept their sites' points: "
                         "run `atlas deserts recompute` for its region first")
    return SiteSet([r["service_id"] for r in rows], [r["location_id"] for r in rows],
                   np.array([r["exact"] for r in rows], dtype=bool), [r["county_fips"] for r in rows],
                   np.array([r["lon"] for r in rows], dtype=float), np.array([r["lat"] for r in rows], dtype=float),
                   np.array([r["capacity"] for r in rows], dtype=float),
                   [frozenset(r["stages"] or ()) for r in rows])
