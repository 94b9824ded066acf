"""`atlas deserts …`: compute and store service-desert runs, with a progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from geo.db import connect
from geo.errors import AtlasError, ValidationFailed
from geo.settings import Settings

app = typer.Typer(help="Service deserts: H3 access surfaces, rollups per county and circuit, gap matrices.")
console = Console(stderr=True)


@contextmanager
def _progress() -> Iterator:
    """A rich progress bar and the callback a run reports its steps to."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("starting…", total=None)

        def on_step(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        yield on_step


def _court_regions(conn) -> list[str]:  # type: ignore[no-untyped-def]
    """The default: every state that has circuits or divisions."""
    rows = conn.execute(
        "SELECT DISTINCT state_fips FROM region WHERE kind IN ('circuit', 'division') ORDER BY state_fips"
    ).fetchall()
    return [f"state:{r['state_fips']}" for r in rows]


@app.command("compute")
def compute(
    region: list[str] = typer.Option(None, help="KIND:CODE, e.g. circuit:MO-16, county:29095, state:MO. "
                                                 "Repeatable. Default: each state with circuits/divisions."),
    category: list[str] = typer.Option(None, help="Category code (repeatable). Default: all."),
    resolution: int = typer.Option(8, min=0, max=15, help="H3 resolution (8 ≈ 0.74 km² cells)."),
    stage: str | None = typer.Option(None, help="Store cells for services of this stage only."),
    decay: str = typer.Option("step", help="E2SFCA distance decay: step or gaussian."),
    place_spread: str = typer.Option("cell", help="A town's people: in the cell at its point (cell) or "
                                                  "over the circle it fills at urban density (footprint)."),
) -> None:
    """Compute the desert measures and store them as a run (replacing the previous same run)."""
    from geo.deserts.measures import Decay
    from geo.deserts.model import Parameters
    from geo.deserts.runs import compute_run
    from geo.scope import RegionRef

    if decay not in ("step", "gaussian"):
        console.print("[red]✗ --decay must be step or gaussian[/red]")
        raise typer.Exit(1)
    if place_spread not in ("cell", "footprint"):
        console.print("[red]✗ --place-spread must be cell or footprint[/red]")
        raise typer.Exit(1)
    params = Parameters(resolution=resolution, decay=Decay(kind=decay), place_spread=place_spread,
                        confidential_min_residents=Settings().desert_confidential_min_residents)
    try:
        with connect(Settings()) as conn:
            regions = [RegionRef.parse(r) for r in (region or _court_regions(conn))]
            for ref in regions:
                console.print(f"[bold]{ref}[/bold] at resolution {resolution}")
                with _progress() as on_step:
                    run_id = compute_run(conn, ref, categories=category or None, stage=stage, params=params,
                                         on_step=on_step)
                conn.commit()
                console.print(f"  stored run {run_id}")
    except AtlasError as e:
        console.print(f"[red]✗ {e}[/red]", highlight=False)
        raise typer.Exit(1) from None


@app.command("recompute")
def recompute(
    region: str | None = typer.Option(None, help="The region whose services changed (KIND:CODE). "
                                                 "Default: every stored run."),
    full: bool = typer.Option(False, "--full", help="Compute every run again, even when few sites changed."),
) -> None:
    """Bring stored runs that overlap a region up to date after services changed: in place when few
    of a run's sites changed (only cells within their reach), else computed again."""
    from geo.deserts.incremental import refresh_runs
    from geo.scope import RegionRef

    try:
        with connect(Settings()) as conn, _progress() as on_step:
            done = refresh_runs(conn, RegionRef.parse(region) if region else None, full=full, on_step=on_step)
            conn.commit()
    except AtlasError as e:
        console.print(f"[red]✗ {e}[/red]", highlight=False)
        raise typer.Exit(1) from None
    updated = [str(i) for how, i in done if how == "updated"]
    recomputed = [str(i) for how, i in done if how == "recomputed"]
    if not done:
        console.print("Recomputed 0 run(s): none overlapped")
        return
    console.print(f"Updated {len(updated)} run(s) in place{': ' + ', '.join(updated) if updated else ''}; "
                  f"recomputed {len(recomputed)} run(s){': ' + ', '.join(recomputed) if recomputed else ''}")


@app.command("load-population")
def load_population(
    path: Path,
    geoid_field: str = typer.Option(..., help="The field holding each area's GEOID."),
    population_field: str = typer.Option(..., help="The field holding each area's population."),
    layer: str | None = typer.Option(None, help="Layer name, for GeoPackages with several."),
) -> None:
    """Load tract or block-group population (with shapes); it replaces the default model there."""
    from geo.deserts.population import load_population_areas

    try:
        with connect(Settings()) as conn:
            n = load_population_areas(conn, path, geoid_field=geoid_field, population_field=population_field,
                                      layer=layer)
    except ValidationFailed as e:
        for err in e.errors:
            console.print(f"[red]✗[/red] {err}", highlight=False)
        console.print(f"[red]{len(e.errors)} problem(s); nothing was loaded.[/red]")
        raise typer.Exit(1) from None
    console.print(f"{n} population areas loaded from {path}; run `atlas deserts recompute` for their regions.")
