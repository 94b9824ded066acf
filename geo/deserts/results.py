"""Reading stored desert runs: cells as GeoJSON, the gap matrix of a region, rollups by kind.

One way to choose the run a region's cells come from serves the API and the map layers alike.
Only stored results are read here; nothing reads or returns a service point. A run is withheld
for a category when a site it measured from at its exact point has become confidential (view
desert_withheld, migration 0013): no cell, tile or rollup of it is served until it is recomputed.
"""

from __future__ import annotations

import orjson
from psycopg import sql
from psycopg.types.json import Jsonb

from geo.db import Connection, query
from geo.deserts.draw import feature_collection
from geo.deserts.runs import data_version, region_counties, stage_codes
from geo.errors import BadRequest, NotFound
from geo.scope import RegionRef, map_choices

DESERT_TABLES = ("desert_run", "desert_measure", "desert_surface_block", "desert_rollup", "desert_withheld")
NO_RESULTS_NOTE = "no desert results computed yet — run atlas deserts compute"
EMPTY: dict = {"type": "FeatureCollection", "features": []}
MEASURES = ("distance_m", "covered", "access_2sfca", "access_e2sfca", "population", "urban", "threshold_m")
ROLLUP_KINDS = ("county", "circuit", "division", "state")


def withheld_reason(run_region: str) -> str:
    """Why a run's numbers are not served, and the command that brings them back."""
    return (f"recompute needed: a site it used is now confidential "
            f"(run `atlas deserts recompute --region {run_region}` or `atlas setup`)")


def _compute_hint(region: RegionRef, category: str | None = None) -> str:
    """The command that would make the missing results."""
    extra = f" --category {category}" if category else ""
    return f"run `atlas deserts compute --region {region}{extra}` first"


def covering_runs(conn: Connection, region: RegionRef, category: str, *, stage: str | None = None,
                  resolution: int | None = None) -> tuple[list[dict], list[str]]:
    """Finished runs covering all of `region` for `category`, newest first, and the region's counties."""
    counties = [c.fips for c in region_counties(conn, region)]
    runs = conn.execute(
        query("desert_covering_runs"),
        {"counties": Jsonb(counties), "category": category, "stage": stage, "resolution": resolution},
    ).fetchall()
    if not runs:
        raise NotFound(f"no desert results for {region} and {category!r}: {_compute_hint(region, category)}")
    return [dict(r) for r in runs], counties


def desert_results_exist(conn: Connection) -> bool:
    """True once any desert run has finished (checking first, with to_regclass, that the engine's
    tables are there at all: no error, no lock)."""
    row = conn.execute(
        "SELECT bool_and(to_regclass(t) IS NOT NULL) AS ok FROM unnest(%s::text[]) t", [list(DESERT_TABLES)]
    ).fetchone()
    if not (row and row["ok"]):
        return False
    return conn.execute("SELECT 1 FROM desert_run WHERE finished_at IS NOT NULL LIMIT 1").fetchone() is not None


def _cells_statement(
    conn: Connection, region: RegionRef, category: str, *, measure: str, stage: str | None,
    resolution: int | None, max_cells: int,
) -> tuple[sql.Composed, dict]:
    """The cells query and its parameters for the newest covering run with at most `max_cells` cells
    in `region` (BadRequest when every covering run has more; NotFound when none covers it)."""
    if measure not in MEASURES:
        raise BadRequest(f"unknown measure {measure!r}: use one of {', '.join(MEASURES)}")
    runs, counties = covering_runs(conn, region, category, stage=stage, resolution=resolution)
    params: dict = {"category": category, "stage": stage, "counties": counties}
    usable = [r for r in runs if not r["withheld"]]
    # With only withheld runs, the newest answers: no cells, and its summary says why.
    run = _fitting_run(conn, region, usable, params, max_cells) if usable else runs[0]
    statement = sql.SQL(query("desert_cells_geojson")).format(
        measure=sql.SQL("c.{}").format(sql.Identifier(measure))
    )
    summary = Jsonb(_run_summary(run, data_version(conn)))
    reason = withheld_reason(f"{run['region_kind']}:{run['region_code']}")
    return statement, {**params, "run_id": run["id"], "run": summary, "measure": measure,
                       "withheld_reason": reason}


def _fitting_run(conn: Connection, region: RegionRef, runs: list[dict], params: dict, max_cells: int) -> dict:
    """The newest of `runs` with at most `max_cells` cells in the region (BadRequest if none)."""
    sizes = []
    for run in runs:
        count = conn.execute(
            """SELECT coalesce(sum(cardinality(m.distance_m)), 0) AS n FROM desert_measure m
               WHERE m.run_id = %(run_id)s AND m.category = %(category)s
                 AND m.stage IS NOT DISTINCT FROM %(stage)s AND m.county_fips = ANY(%(counties)s)""",
            {**params, "run_id": run["id"]},
        ).fetchone()
        n = count["n"] if count else 0
        if n <= max_cells:
            return run
        sizes.append(f"{n:,} at resolution {run['resolution']}")
    raise BadRequest(f"{region} has too many cells ({'; '.join(sizes)}; at most {max_cells:,}): ask for a "
                     f"smaller region or run `atlas deserts compute --region {region} --resolution 6`")


def desert_cells_geojson(
    conn: Connection, region: RegionRef, category: str, *, measure: str = "distance_m",
    stage: str | None = None, resolution: int | None = None, max_cells: int = 60_000,
) -> str:
    """The cells of `region` for `category` as GeoJSON text, `value` = `measure`, with the run's
    summary under "run". Without a resolution: the newest covering run with at most `max_cells`
    cells there, so a state-wide map gets a coarser run when one was computed."""
    statement, params = _cells_statement(conn, region, category, measure=measure, stage=stage,
                                         resolution=resolution, max_cells=max_cells)
    row = conn.execute(statement, params).fetchone()
    assert row is not None
    return feature_collection(row["run"], measure, row["h3"], row["properties"])


def desert_cells(
    conn: Connection, region: RegionRef, category: str, *, measure: str = "distance_m",
    stage: str | None = None, resolution: int | None = None, max_cells: int = 60_000,
) -> dict:
    """As desert_cells_geojson, parsed, for callers that add to the features (the map layers)."""
    return orjson.loads(desert_cells_geojson(conn, region, category, measure=measure, stage=stage,
                                             resolution=resolution, max_cells=max_cells))


def _run_summary(run: dict, current_version: str) -> dict:
    """What a map needs to say about the numbers: which run, and whether the data changed since
    (the cells query adds `withheld` and marks it stale when a site it used is now confidential)."""
    return {"id": run["id"], "region": f"{run['region_kind']}:{run['region_code']}",
            "resolution": run["resolution"], "data_version": run["data_version"],
            "stale": run["data_version"] != current_version or bool(run.get("withheld")),
            "finished_at": run["finished_at"].isoformat() if run["finished_at"] else None,
            "parameters": run["parameters"]}


def rollups(conn: Connection, kind: str, *, category: str | None = None, stage: str | None = None,
            state_fips: str | None = None, code: str | None = None, all_stages: bool = False,
            resolution: int | None = None) -> list[dict]:
    """Stored rollups of one region kind (newest run per region), ranked within category/stage."""
    if kind not in ROLLUP_KINDS:
        raise BadRequest(f"unknown kind {kind!r}: use one of {', '.join(ROLLUP_KINDS)}")
    rows = conn.execute(
        query("desert_rollups"),
        {"kind": kind, "code": code, "category": category, "stage": stage, "all_stages": all_stages,
         "state_fips": state_fips, "resolution": resolution},
    ).fetchall()
    return [{**r, "finished_at": r["finished_at"].isoformat() if r["finished_at"] else None} for r in rows]


def withheld_runs(conn: Connection, *, kind: str | None = None, code: str | None = None,
                  category: str | None = None) -> list[dict]:
    """Runs (and categories) left out of the results because a site they measured from at its
    exact point is now confidential, limited to those with rollups for a region kind/code."""
    rows = conn.execute(
        """SELECT w.run_id, r.region_kind || ':' || r.region_code AS region, w.category
           FROM desert_withheld w JOIN desert_run r ON r.id = w.run_id AND r.status = 'done'
           WHERE (%(category)s::text IS NULL OR w.category = %(category)s)
             AND (%(kind)s::text IS NULL OR EXISTS (
                    SELECT 1 FROM desert_rollup u
                    WHERE u.run_id = w.run_id AND u.category = w.category AND u.region_kind = %(kind)s
                      AND (%(code)s::text IS NULL OR u.region_code = %(code)s)))
           ORDER BY w.run_id, w.category""",
        {"kind": kind, "code": code, "category": category},
    ).fetchall()
    return [{**r, "reason": withheld_reason(r["region"])} for r in rows]


def gap_matrix(conn: Connection, region: RegionRef, *, resolution: int | None = None) -> dict:
    """Category × landscape stage for one region: people beyond threshold and services there.

    The `all` column is every service of the category whatever its stage. `withheld` names the
    categories whose newest numbers are held back until a recompute, and why."""
    rows = rollups(conn, region.kind, code=region.code, all_stages=True, resolution=resolution)
    held = {w["category"]: w["reason"] for w in withheld_runs(conn, kind=region.kind, code=region.code)}
    if not rows:
        if held:
            raise NotFound(f"desert results for {region} are withheld: {next(iter(held.values()))}")
        raise NotFound(f"no desert results for {region}: {_compute_hint(region)}")
    stages = stage_codes(conn)
    categories = sorted({r["category"] for r in rows})
    held = {c: reason for c, reason in held.items() if c not in categories}
    cells: dict[str, dict[str, dict]] = {c: {} for c in categories}
    for r in rows:
        cells[r["category"]][r["stage"] or "all"] = {
            "population_uncovered": round(r["population_uncovered"], 1),
            "share_uncovered": r["share_uncovered"],
            "services": r["services"],
        }
    first = rows[0]
    return {
        "region": {"kind": region.kind, "code": region.code, "name": first["region_name"]},
        "population": round(first["population"], 1),
        "stages": ["all", *stages],
        "categories": categories,
        "matrix": cells,
        "withheld": held,
    }


def gap_matrix_table(matrix: dict) -> list[list]:
    """The matrix as spreadsheet rows: one per category, two columns per stage."""
    header = ["category"]
    for stage in matrix["stages"]:
        header += [f"{stage} population_uncovered", f"{stage} services"]
    table: list[list] = [header]
    for category in matrix["categories"]:
        row: list = [category]
        for stage in matrix["stages"]:
            cell = matrix["matrix"][category].get(stage)
            row += [cell["population_uncovered"], cell["services"]] if cell else ["", ""]
        table.append(row)
    return table


def desert_rollups_geojson(
    conn: Connection, scope: RegionRef, *, region_kind: str, category: str | None, stage: str | None,
    tolerance_deg: float = 0.002,
) -> dict:
    """Per-region rollups (share of people beyond reach, mean distance, access) of the latest
    finished run, drawn on the region's shape, for regions of `region_kind` in a scope."""
    if not desert_results_exist(conn):
        return EMPTY
    row = conn.execute(
        query("desert_rollups_geojson"),
        {"scope_kind": scope.kind, "scope_code": scope.code, "region_kind": region_kind,
         "category": category, "stage": stage, "tolerance_deg": tolerance_deg},
    ).fetchone()
    assert row is not None
    return row["collection"]


def region_report(conn: Connection, region: RegionRef, *, category: str | None = None) -> dict:
    """What a summit's handout says about one region: each category's people beyond reach, the
    gap matrix by landscape stage, and per county the category asked for (by default the one that
    leaves the most people beyond reach)."""
    matrix = gap_matrix(conn, region)
    summary = sorted(rollups(conn, region.kind, code=region.code),
                     key=lambda r: (-r["population_uncovered"], r["category"]))
    choices = map_choices(conn)
    names = {c["code"]: c["name"] for c in choices["categories"]}
    stage_names = {s["code"]: s["name"] for s in choices["stages"]}
    if category is not None and category not in names:
        raise BadRequest(f"unknown category {category!r}: use a code from /api/hsds/taxonomy_terms")
    chosen = category or summary[0]["category"]
    if chosen not in {r["category"] for r in summary}:
        raise NotFound(f"no desert results for {region} and category {chosen!r}: {_compute_hint(region, chosen)}")
    fips = {c.fips for c in region_counties(conn, region)}
    state = summary[0]["state_fips"]
    counties = sorted((r for r in rollups(conn, "county", category=chosen, state_fips=state)
                       if r["region_code"] in fips),
                      key=lambda r: (-r["share_uncovered"], r["region_name"]))
    sample = conn.execute(
        """SELECT bool_or(s.is_sample) AS any FROM service s
           JOIN service_at_location sal ON sal.service_id = s.id JOIN location l ON l.id = sal.location_id
           WHERE l.county_fips = ANY(%s) AND s.retired_at IS NULL""", [sorted(fips)]).fetchone()
    newest = max(summary, key=lambda r: r["finished_at"] or "")
    version = data_version(conn)
    return {
        "region": matrix["region"], "population": matrix["population"],
        "summary": summary, "matrix": matrix, "counties": counties, "category": chosen,
        "category_names": names, "stage_names": {"all": "Any stage", **stage_names},
        "resolution": newest["resolution"], "finished_at": newest["finished_at"],
        "stale": any(r["data_version"] != version for r in summary) or bool(matrix["withheld"]),
        "sample": bool(sample and sample["any"]),
    }
