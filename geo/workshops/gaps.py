"""A priority's gap figures: frozen from the region's gap matrix when it is set, and read again
now, so a report can say "then → now". Both read the stored rollups through geo.deserts.results,
which leaves out runs that measured from a site now confidential (view desert_withheld)."""

from __future__ import annotations

from geo.db import Connection
from geo.deserts.results import rollups, withheld_runs
from geo.errors import RowError, ValidationFailed
from geo.scope import RegionRef
from geo.vocabulary import Vocabulary
from geo.workshops.schemas import CellRef

ANY_STAGE = "all"
Cell = tuple[str, str]  # (category, stage or 'all')


def current_figures(conn: Connection, region: RegionRef) -> dict[Cell, dict]:
    """The region's gap matrix now, per (category, stage), with the run each figure came from."""
    return {
        (r["category"], r["stage"] or ANY_STAGE): {
            "population_uncovered": round(r["population_uncovered"], 1),
            "share_uncovered": r["share_uncovered"],
            "services": r["services"],
            "run_id": r["run_id"],
            "finished_at": r["finished_at"],
        }
        for r in rollups(conn, region.kind, code=region.code, all_stages=True)
    }


def missing_note(conn: Connection, region: RegionRef, category: str) -> str:
    """Why a cell has no figures now: withheld until a recompute, or never computed."""
    held = withheld_runs(conn, kind=region.kind, code=region.code, category=category)
    if held:
        return held[0]["reason"]
    return f"no desert results: run `atlas deserts compute --region {region}`"


def normalise_cells(conn: Connection, cells: list[CellRef], field: str = "cells") -> list[Cell]:
    """Categories and stages by code or name → codes; an unknown one is a 422 naming it."""
    vocabulary = Vocabulary.load(conn)
    errors, found = [], []
    for i, cell in enumerate(cells):
        category = vocabulary.category(cell.category)
        stage = ANY_STAGE if cell.stage.strip().lower() in (ANY_STAGE, "any") else vocabulary.stage(cell.stage)
        if category is None:
            errors.append(RowError("request", 0, f"{field}[{i}].category", f"unknown category {cell.category!r}"))
        if stage is None:
            errors.append(RowError("request", 0, f"{field}[{i}].stage", f"unknown stage {cell.stage!r}"))
        if category and stage and (category, stage) not in found:
            found.append((category, stage))
    if errors:
        raise ValidationFailed(errors)
    return found


def freeze(conn: Connection, region: RegionRef, cells: list[Cell]) -> list[dict]:
    """The figures of each cell as they are now, to be stored with the priority; a cell without
    figures (not computed, or withheld) is a 422 saying how to get them."""
    now = current_figures(conn, region)
    errors = [RowError("request", 0, f"cells[{i}]", f"{category} / {stage}: {missing_note(conn, region, category)}")
              for i, (category, stage) in enumerate(cells) if (category, stage) not in now]
    if errors:
        raise ValidationFailed(errors)
    return [{"category": c, "stage": s, **now[(c, s)]} for c, s in cells]
