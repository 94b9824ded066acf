"""Computing and storing desert runs: surface + measures per category and stage, rollups, cells.

A run covers one region (county, circuit, division or state) at one H3 resolution, for one or all
categories. Cells are stored for one stage choice (NULL = services of every stage); rollups are
stored for every stage, which makes the gap matrix. A finished run replaces the earlier runs of
the same region, stage and resolution whose categories it all recomputed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from psycopg.types.json import Jsonb

from geo.db import Connection, copy_rows, query
from geo.deserts.measures import Decay, LocalProjection
from geo.deserts.model import CellMeasures, Parameters, Thresholds, location_capacity, measure_cells
from geo.deserts.population import apply_population_areas, population_areas_near
from geo.deserts.privacy import zone_table
from geo.deserts.store import Blocks, drop_unused_surfaces, store_measures, store_surface
from geo.deserts.surface import County, DemandSurface, build_surface, places_in_bounds
from geo.errors import NotFound
from geo.scope import RegionRef

Step = Callable[[str, int, int], None]  # (what was done, steps done, steps in all)


def region_counties(conn: Connection, region: RegionRef) -> list[County]:
    """The counties a region is made of: the surface and every rollup are built from them."""
    rows = conn.execute(query("desert_region_counties"), {"kind": region.kind, "code": region.code}).fetchall()
    if not rows:
        raise NotFound(f"no {region.kind} {region.code!r} with counties; see /api/regions?kind={region.kind}")
    return [County(r["code"], float(r["population"]), shapely.from_wkb(r["wkb"]), r["name"],
                   r["court_kind"], r["court_code"], r["court_name"]) for r in rows]


def category_thresholds(conn: Connection, categories: Sequence[str] | None) -> dict[str, Thresholds]:
    """Urban and rural thresholds per category, as planners edited them in the taxonomy."""
    rows = conn.execute(
        """SELECT code, urban_threshold_m, rural_threshold_m FROM taxonomy_term
           WHERE urban_threshold_m IS NOT NULL AND rural_threshold_m IS NOT NULL
             AND (%(codes)s::text[] IS NULL OR code = ANY(%(codes)s)) ORDER BY code""",
        {"codes": list(categories) if categories else None},
    ).fetchall()
    found = {r["code"]: Thresholds(r["urban_threshold_m"], r["rural_threshold_m"]) for r in rows}
    missing = sorted(set(categories or ()) - found.keys())
    if missing:
        raise NotFound(f"unknown category {', '.join(missing)} (or it has no thresholds)")
    return found


def data_version(conn: Connection) -> str:
    """What a run computed now depends on beyond its parameters; a run whose version differs is stale."""
    row = conn.execute(query("desert_data_version")).fetchone()
    return row["version"] if row else ""


def stage_codes(conn: Connection) -> list[str]:
    """Landscape stages in their order along the child-welfare path."""
    return [r["code"] for r in conn.execute("SELECT code FROM landscape_stage ORDER BY position")]


@dataclass
class ServicePoints:
    """One category's service locations, as the measures need them (confidential ones generalised)."""

    service_id: list[str]
    location_id: list[str]
    exact: list[bool]  # measured from the site's own point (it was public when loaded)
    county_fips: list[str | None]
    stages: list[set[str]]
    lon: np.ndarray
    lat: np.ndarray
    capacity: np.ndarray

    def select(self, stage: str | None) -> np.ndarray:
        """Indexes of the locations serving `stage` (all of them for None)."""
        if stage is None:
            return np.arange(len(self.service_id))
        return np.array([k for k, s in enumerate(self.stages) if stage in s], dtype=np.int64)


def load_service_points(
    conn: Connection, counties: Sequence[County], categories: Sequence[str], params: Parameters,
    surface: DemandSurface | None = None,
) -> dict[str, ServicePoints]:
    """Services of each category near the region's counties (`search_margin_m` beyond them);
    confidential ones hidden among the residents of `surface` (or at their county's point)."""
    max_lat = max(abs(c.geom.bounds[3]) for c in counties)
    margin_deg = params.search_margin_m / (111_000 * max(np.cos(np.radians(max_lat + 3)), 0.05))
    rows = conn.execute(
        query("desert_services"),
        {"counties": [c.fips for c in counties], "margin_deg": margin_deg, "categories": list(categories),
         **zone_table(surface, params.confidential_min_residents)},
    ).fetchall()
    grouped: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        grouped[r["category"]].append(r)
    out = {}
    for category in categories:
        rs = grouped.get(category, [])
        out[category] = ServicePoints(
            [r["service_id"] for r in rs], [r["location_id"] for r in rs], [not r["confidential"] for r in rs],
            [r["county_fips"] for r in rs], [set(r["stages"]) for r in rs],
            np.array([r["lon"] for r in rs], dtype=float), np.array([r["lat"] for r in rs], dtype=float),
            location_capacity([r["capacity"] for r in rs], [r["locations"] for r in rs]),
        )
    return out


@dataclass
class Groups:
    """The rollup regions of a surface: counties, court regions and the whole run region."""

    kinds: list[str]
    codes: list[str]
    names: list[str]
    counties: list[set[str]]
    of_cell: list[np.ndarray]  # per grouping (county, court, region): group index of each cell

    @classmethod
    def of(cls, surface: DemandSurface, region: RegionRef, region_name: str) -> Groups:
        """Counties, their circuits/divisions (unless that is the region itself) and the region."""
        counties = surface.counties
        kinds = ["county"] * len(counties)
        codes = [c.fips for c in counties]
        names = [c.name for c in counties]
        members = [{c.fips} for c in counties]
        court_index: dict[tuple[str, str], int] = {}
        county_court = np.full(len(counties), -1, dtype=np.int64)
        for k, c in enumerate(counties):
            if c.court_kind and c.court_code and (region.kind, region.code) != (c.court_kind, c.court_code):
                key = (c.court_kind, c.court_code)
                if key not in court_index:
                    court_index[key] = len(kinds)
                    kinds.append(c.court_kind)
                    codes.append(c.court_code)
                    names.append(c.court_name or c.court_code)
                    members.append(set())
                county_court[k] = court_index[key]
                members[court_index[key]].add(c.fips)
        region_index = len(kinds)
        if region.kind != "county":
            kinds.append(region.kind)
            codes.append(region.code)
            names.append(region_name)
            members.append({c.fips for c in counties})
        of_cell = [surface.county, county_court[surface.county]]
        if region.kind != "county":
            of_cell.append(np.full(len(surface), region_index, dtype=np.int64))
        return cls(kinds, codes, names, members, of_cell)


def rollup_rows(
    groups: Groups, population: np.ndarray, m: CellMeasures, services: ServicePoints, chosen: np.ndarray,
) -> list[dict]:
    """Per group: people, people beyond threshold, population-weighted distance and 2SFCA, services."""
    n = len(groups.kinds)
    pop = np.zeros(n)
    uncovered = np.zeros(n)
    dist_pop = np.zeros(n)
    dist_sum = np.zeros(n)
    a2_sum = np.zeros(n)
    finite = np.isfinite(m.distance_m)
    for index in groups.of_cell:
        ok = index >= 0
        idx = index[ok]
        pop += np.bincount(idx, weights=population[ok], minlength=n)
        uncovered += np.bincount(idx, weights=(population * ~m.covered)[ok], minlength=n)
        dist_pop += np.bincount(idx, weights=(population * finite)[ok], minlength=n)
        dist_sum += np.bincount(idx, weights=(population * np.where(finite, m.distance_m, 0.0))[ok], minlength=n)
        a2_sum += np.bincount(idx, weights=(population * m.access_2sfca)[ok], minlength=n)
    service_counties: dict[str, set[str]] = defaultdict(set)
    for k in chosen:
        fips = services.county_fips[k]
        if fips:
            service_counties[fips].add(services.service_id[k])
    rows = []
    for g in range(n):
        ids: set[str] = set()
        for fips in groups.counties[g]:
            ids |= service_counties.get(fips, set())
        rows.append({
            "region_kind": groups.kinds[g], "region_code": groups.codes[g], "region_name": groups.names[g],
            "population": float(pop[g]), "population_uncovered": float(uncovered[g]),
            "share_uncovered": float(uncovered[g] / pop[g]) if pop[g] > 0 else None,
            "mean_distance_m": float(dist_sum[g] / dist_pop[g]) if dist_pop[g] > 0 else None,
            "population_with_distance": float(dist_pop[g]),
            "mean_2sfca": float(a2_sum[g] / pop[g]) if pop[g] > 0 else None,
            "services": len(ids),
        })
    return rows


def rank_rollups(rows: list[dict]) -> None:
    """Rank 1 = the largest share of people beyond threshold, within each kind/category/stage."""
    by_key: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        by_key[(r["region_kind"], r["category"], r["stage"])].append(r)
    for group in by_key.values():
        # Rounded so that sums made in another order (an incremental update) rank alike.
        group.sort(key=lambda r: (-round(r["share_uncovered"] or 0.0, 12), -round(r["population_uncovered"], 6),
                                  r["region_code"]))
        for rank, r in enumerate(group, start=1):
            r["rank"] = rank


ROLLUP_COLUMNS = ["run_id", "region_kind", "region_code", "region_name", "category", "stage", "population",
                  "population_uncovered", "share_uncovered", "mean_distance_m", "mean_2sfca", "rank",
                  "services", "population_with_distance"]


def compute_run(
    conn: Connection,
    region: RegionRef,
    *,
    categories: Sequence[str] | None = None,
    stage: str | None = None,
    params: Parameters | None = None,
    on_step: Step | None = None,
) -> int:
    """Compute and store one run (cells for `stage`, rollups for every stage); returns its id."""
    params = params or Parameters()
    counties = region_counties(conn, region)
    thresholds = category_thresholds(conn, categories)
    stages = stage_codes(conn)
    if stage is not None and stage not in stages:
        raise NotFound(f"unknown stage {stage!r}; stages are {', '.join(stages)}")
    name_row = conn.execute("SELECT name FROM region WHERE kind = %s AND code = %s",
                            [region.kind, region.code]).fetchone()
    run_id = _start_run(conn, region, sorted(thresholds), stage, params, counties)
    total = 2 + len(thresholds) * (1 + len(stages))
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        if on_step:
            on_step(what, done, total)

    bounds = shapely.union_all([c.geom.envelope for c in counties]).bounds
    surface = build_surface(counties, places_in_bounds(bounds), params.resolution,
                            place_spread=params.place_spread)
    finer = apply_population_areas(surface, population_areas_near(conn, [c.fips for c in counties]))
    conn.execute("UPDATE desert_run SET parameters = parameters || %s WHERE id = %s",
                 [Jsonb({"cells_from_population_areas": finer}), run_id])
    urban = surface.urban(params.urban_density_per_km2)
    fips = [c.fips for c in counties]
    surface_id = store_surface(conn, surface.resolution, surface.cells, fips, surface.county, surface.lon,
                               surface.lat, surface.population, urban)
    conn.execute("UPDATE desert_run SET surface_id = %s WHERE id = %s", [surface_id, run_id])
    blocks = Blocks.of(fips, surface.county)
    step(f"demand surface: {len(surface):,} cells")
    services = load_service_points(conn, counties, list(thresholds), params, surface)
    _record_sites(conn, run_id, services)
    all_lon = np.concatenate([surface.lon, *(s.lon for s in services.values())])
    all_lat = np.concatenate([surface.lat, *(s.lat for s in services.values())])
    projection = LocalProjection.around(all_lon, all_lat)
    demand = projection.points(surface.lon, surface.lat)
    groups = Groups.of(surface, region, name_row["name"] if name_row else region.code)
    step("services loaded")

    rollups: list[dict] = []
    for category, limits in thresholds.items():
        points = services[category]
        for stage_choice in [None, *stages]:
            chosen = points.select(stage_choice)
            supply = projection.points(points.lon[chosen], points.lat[chosen])
            m = measure_cells(demand, surface.population, urban, supply, points.capacity[chosen], limits,
                              params.decay, projection.eps)
            for row in rollup_rows(groups, surface.population, m, points, chosen):
                rollups.append({**row, "category": category, "stage": stage_choice})
            if stage_choice == stage:
                store_measures(conn, run_id, category, stage, blocks, limits.urban_m, limits.rural_m,
                               m.distance_m, m.access_2sfca, m.access_e2sfca)
            step(f"{category} / {stage_choice or 'all stages'}")
    rank_rollups(rollups)
    copy_rows(conn, "desert_rollup", ROLLUP_COLUMNS,
              [tuple(run_id if c == "run_id" else r[c] for c in ROLLUP_COLUMNS) for r in rollups])
    _finish_run(conn, run_id, len(surface))
    return run_id


def _start_run(conn: Connection, region: RegionRef, categories: list[str], stage: str | None,
               params: Parameters, counties: Sequence[County]) -> int:
    """The run's row, with what its numbers depend on: parameters, categories, counties, data version."""
    run = conn.execute(
        """INSERT INTO desert_run (region_kind, region_code, category, stage, resolution, parameters,
                                   data_version)
           VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        [region.kind, region.code, categories[0] if len(categories) == 1 else None, stage, params.resolution,
         Jsonb({**params.as_json(), "categories": categories, "counties": [c.fips for c in counties]}),
         data_version(conn)],
    ).fetchone()
    assert run is not None
    return int(run["id"])


SITE_COLUMNS = ["run_id", "category", "service_id", "location_id", "exact", "county_fips", "lon", "lat",
                "capacity", "stages"]


def site_rows(run_id: int, category: str, points: ServicePoints) -> list[tuple]:
    """desert_run_site rows of one category: each site once, with the point it was measured from."""
    rows: dict[tuple[str, str], tuple] = {}
    for k, key in enumerate(zip(points.service_id, points.location_id, strict=True)):
        rows.setdefault(key, (run_id, category, *key, points.exact[k], points.county_fips[k],
                              float(points.lon[k]), float(points.lat[k]), float(points.capacity[k]),
                              sorted(points.stages[k])))
    return [rows[key] for key in sorted(rows)]


def _record_sites(conn: Connection, run_id: int, services: dict[str, ServicePoints]) -> None:
    """Every site this run measures from, per category, with the point it used (migration 0018):
    an incremental recompute compares them with today's sites. If one measured at its exact point
    (`exact`) becomes confidential, the view desert_withheld takes the run's numbers for that
    category off every output until it is recomputed (migration 0013). Written in the run's own
    transaction."""
    rows = [row for category, points in services.items() for row in site_rows(run_id, category, points)]
    copy_rows(conn, "desert_run_site", SITE_COLUMNS, rows)


def _finish_run(conn: Connection, run_id: int, cells: int) -> None:
    """Mark the run done and drop the earlier runs it replaces (same region, stage and resolution,
    categories all recomputed here)."""
    conn.execute("UPDATE desert_run SET status = 'done', finished_at = clock_timestamp(), cells = %s WHERE id = %s",
                 [cells, run_id])
    conn.execute(
        """DELETE FROM desert_run old USING desert_run new
           WHERE new.id = %s AND old.id <> new.id AND old.region_kind = new.region_kind
             AND old.region_code = new.region_code AND old.resolution = new.resolution
             AND old.stage IS NOT DISTINCT FROM new.stage
             AND (new.parameters->'categories') @> (old.parameters->'categories')""",
        [run_id],
    )
    drop_unused_surfaces(conn)


def recompute_for_region(conn: Connection, region: RegionRef, *, on_step: Step | None = None) -> list[int]:
    """After services change in `region`: recompute every stored run whose region shares a county
    with it (catchments cross county lines), with the run's own parameters. Returns the new run ids."""
    fips = [c.fips for c in region_counties(conn, region)]
    runs = conn.execute(
        """SELECT id, region_kind, region_code, category, stage, resolution, parameters FROM desert_run
           WHERE status = 'done' AND (parameters->'counties') ?| %s::text[] ORDER BY id""",
        [fips],
    ).fetchall()
    return [rerun(conn, r, on_step) for r in runs]


def recompute_withheld(conn: Connection, *, on_step: Step | None = None) -> list[int]:
    """Recompute every run withheld because a site it measured from at its exact point is now
    confidential (view desert_withheld); the new run measures from its generalised point.
    Returns the new run ids."""
    runs = conn.execute(
        """SELECT id, region_kind, region_code, category, stage, resolution, parameters FROM desert_run
           WHERE status = 'done' AND id IN (SELECT run_id FROM desert_withheld) ORDER BY id"""
    ).fetchall()
    return [rerun(conn, r, on_step) for r in runs]


def rerun(conn: Connection, run: dict, on_step: Step | None) -> int:
    """Compute a stored run again with its own region, categories, stage and parameters."""
    p = run["parameters"]
    decay = Decay(kind=p.get("decay", {}).get("kind", "step"))
    params = Parameters(resolution=run["resolution"], decay=decay,
                        urban_density_per_km2=p.get("urban_density_per_km2", Parameters.urban_density_per_km2),
                        confidential_min_residents=p.get("confidential_min_residents",
                                                         Parameters.confidential_min_residents),
                        search_margin_m=p.get("search_margin_m", Parameters.search_margin_m),
                        place_spread=p.get("place_spread", Parameters.place_spread))
    categories = p.get("categories") or ([run["category"]] if run["category"] else None)
    return compute_run(conn, RegionRef(run["region_kind"], run["region_code"]),
                       categories=categories, stage=run["stage"], params=params, on_step=on_step)
