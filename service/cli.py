"""`atlas`: the command line for setting up, loading data and serving."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from geo import cluster
from geo.db import connect
from geo.errors import AtlasError, ValidationFailed
from geo.settings import Settings
from service.cli_deserts import app as deserts_app
from service.cli_review import app as review_app

app = typer.Typer(help="Upstream Atlas: map family services, find service deserts.", no_args_is_help=True)
db_app = typer.Typer(help="The database: the project's own local cluster or ATLAS_DATABASE_URL.")
regions_app = typer.Typer(help="Counties, states, circuits, divisions and custom regions.")
sample_app = typer.Typer(help="SAMPLE services for demonstration (clearly labelled as sample).")
keys_app = typer.Typer(help="API keys for editing: admin, or editor scoped to regions.")
app.add_typer(db_app, name="db")
app.add_typer(regions_app, name="regions")
app.add_typer(sample_app, name="sample")
app.add_typer(deserts_app, name="deserts")
app.add_typer(keys_app, name="keys")
app.add_typer(review_app, name="review")

console = Console(stderr=True, soft_wrap=True)  # one-line results stay on one line


def _fail(error: Exception) -> None:
    if isinstance(error, ValidationFailed):
        for e in error.errors:
            console.print(f"[red]✗[/red] {e}", highlight=False)
        console.print(f"[red]{len(error.errors)} problem(s); nothing was changed.[/red]")
    else:
        console.print(f"[red]✗ {error}[/red]", highlight=False)
    raise typer.Exit(1)


@db_app.command("url")
def db_url() -> None:
    """Print the database URL in use."""
    print(Settings().url())


@db_app.command("start")
def db_start() -> None:
    """Start the project's local PostgreSQL cluster (made on first use)."""
    settings = Settings()
    try:
        made = cluster.init(settings)
        cluster.start(settings)
    except cluster.ClusterError as e:
        _fail(e)
    console.print(f"{'Created and started' if made else 'Running'}: local PostGIS on port {settings.pg_port}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the project's local PostgreSQL cluster."""
    cluster.stop(Settings())
    console.print("Stopped.")


@db_app.command("status")
def db_status() -> None:
    """Say whether the database answers."""
    settings = Settings()
    try:
        with connect(settings) as conn:
            row = conn.execute("SELECT postgis_full_version() AS v").fetchone()
        console.print(f"up: {row['v'][:60] if row else ''}")
    except Exception as e:  # noqa: BLE001 - any failure means "down" here
        console.print(f"[red]down: {e}[/red]")
        raise typer.Exit(1) from None


@db_app.command("migrate")
def db_migrate() -> None:
    """Create the database (and PostGIS) if needed and run the migrations."""
    from geo.setup import prepare_database

    prepare_database(Settings())
    console.print("Schema is up to date.")


@app.command("setup")
def setup(
    sample: int = typer.Option(3000, help="How many SAMPLE services to load (0 for none)."),
    deserts_resolution: int = typer.Option(
        7, min=0, max=9, help="H3 resolution of a first desert run per state (0 to skip)."),
) -> None:
    """Everything `make demo` needs: database, schema, reference geography, taxonomy, sample,
    and a first desert run (each step skipped when already done)."""
    from geo.setup import compute_missing_deserts, load_reference, prepare_database

    settings = Settings()
    try:
        with console.status("Preparing the database…"):
            prepare_database(settings)
        with console.status("Loading counties, circuits, divisions, taxonomy and sample services…"):
            report = load_reference(settings, sample_count=sample)
        if deserts_resolution:
            with console.status(f"Computing service deserts at H3 resolution {deserts_resolution}…"):
                report.desert_runs = compute_missing_deserts(settings, deserts_resolution)
    except (AtlasError, cluster.ClusterError) as e:
        _fail(e)
    console.print(
        f"Ready: {report.regions_changed} region rows changed, {report.groups_moved} county moves, "
        f"{report.sample_written} sample services written, {report.desert_runs} desert runs computed."
    )


@regions_app.command("reload")
def regions_reload(
    file: Path | None = typer.Argument(None, help="One crosswalk CSV (default: all in data/regions.toml)."),
) -> None:
    """Re-read the county→circuit/division crosswalks and rebuild the regions that changed."""
    from geo.regions import reload_crosswalks

    settings = Settings()
    try:
        with connect(settings) as conn:
            reports = reload_crosswalks(conn, settings.data_dir, only=file)
    except AtlasError as e:
        _fail(e)
    if file is not None and not reports:
        _fail(AtlasError(f"{file} is not a crosswalk named in {settings.data_dir / 'regions.toml'}"))
    for r in reports:
        for county, old, new in r.moved:
            console.print(f"  {county}: {old or '(none)'} → {new}")
        console.print(f"{r.state} {r.kind}s: {r.groups} groups, {len(r.moved)} counties moved, "
                      f"rebuilt {', '.join(r.rebuilt) or 'none'}")


@regions_app.command("load")
def regions_load() -> None:
    """Load (or refresh) counties and states from data/ and apply the crosswalks."""
    from geo.regions import load_census_regions, reload_crosswalks
    from geo.taxonomy import load_taxonomy

    settings = Settings()
    with connect(settings) as conn:
        changed = load_census_regions(conn, settings.data_dir)
        load_taxonomy(conn, settings.data_dir)
        reload_crosswalks(conn, settings.data_dir)
    console.print(f"{changed} county/state rows changed.")


@regions_app.command("add-custom")
def regions_add_custom(
    path: Path,
    code_field: str = typer.Option(..., help="The field holding each area's code."),
    name_field: str = typer.Option(..., help="The field holding each area's name."),
    layer: str | None = typer.Option(None, help="Layer name, for GeoPackages with several."),
) -> None:
    """Load custom areas (towns, catchments) from GeoJSON, GeoPackage or Shapefile."""
    from geo.regions import load_custom_regions

    try:
        with connect(Settings()) as conn:
            n = load_custom_regions(conn, path, code_field=code_field, name_field=name_field, layer=layer)
    except AtlasError as e:
        _fail(e)
    console.print(f"{n} custom regions loaded from {path}.")


@sample_app.command("load")
def sample_load(count: int = typer.Option(3000, help="How many SAMPLE services.")) -> None:
    """(Re)generate the SAMPLE services; a no-op when they are already there."""
    from geo.sample import load_sample

    settings = Settings()
    with connect(settings) as conn:
        n = load_sample(conn, settings.data_dir, count=count)
    console.print(f"{n} sample services written." if n else "Sample services already loaded.")


@sample_app.command("remove")
def sample_remove() -> None:
    """Delete every SAMPLE record."""
    from geo.sample import remove_sample

    with connect(Settings()) as conn:
        remove_sample(conn)
    console.print("Sample services removed.")


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., help="Who or what uses the key."),
    role: str = typer.Option("editor", help="admin, or editor (needs --region)."),
    region: list[str] = typer.Option([], help="An editor's region: MO-16, 29095, MA-suffolk (repeatable)."),
) -> None:
    """Make a key and print its secret once; only a salted hash is stored."""
    from geo.keys import create_key

    try:
        with connect(Settings()) as conn:
            key, secret = create_key(conn, name, role, region)
    except AtlasError as e:
        _fail(e)
    console.print(f"Key {key.id} ({key.role}{': ' + ', '.join(key.regions) if key.regions else ''}) "
                  "made. Copy it now; it cannot be shown again:")
    print(secret)


@keys_app.command("list")
def keys_list() -> None:
    """The keys: id, prefix, name, role, regions, when made, when revoked (never the secret)."""
    from geo.keys import list_keys

    with connect(Settings()) as conn:
        keys = list_keys(conn)
    for k in keys:
        revoked = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
        print(f"{k.id}\tatk_{k.prefix}_…\t{k.name}\t{k.role}\t{','.join(k.regions) or '-'}\t"
              f"{k.created_at:%Y-%m-%d %H:%M}\t{revoked}")


@keys_app.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="The key's id or prefix.")) -> None:
    """Revoke a key; it stops working on its next request."""
    from geo.keys import revoke_key

    try:
        with connect(Settings()) as conn:
            k = revoke_key(conn, key)
    except AtlasError as e:
        _fail(e)
    console.print(f"Revoked key {k.id} ({k.name}).")
def _progress_bar(progress: Progress) -> Callable[[str, int], Callable[[int], None]]:
    """Adapt a rich Progress to geo.importer's progress hook."""
    def start(description: str, total: int) -> Callable[[int], None]:
        task = progress.add_task(description, total=total)
        return lambda n: progress.advance(task, n)
    return start


def _parse_map(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        header, sep, column = pair.rpartition("=")
        if not sep or not header.strip() or not column.strip():
            _fail(AtlasError(f"--map {pair!r}: use --map 'YOUR HEADER=template column'"))
        mapping[header.strip()] = column.strip().lower()
    return mapping


@app.command("import")
def import_command(
    path: Path = typer.Argument(..., help="A CSV/XLSX sheet, an HSDS 3 folder or .zip, or HSDS JSON/NDJSON."),
    source: str | None = typer.Option(None, help="Name of the source (default: the file's stem)."),
    map_: list[str] = typer.Option([], "--map", help="Header mapping 'Their Header=template column'; repeatable."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report; write nothing."),
    all_or_nothing: bool = typer.Option(False, "--all-or-nothing", help="Write nothing if any row is rejected."),
    retire_missing: bool = typer.Option(
        False, "--retire-missing",
        help="PATH is the source's whole directory: retire its services PATH no longer lists."),
) -> None:
    """Import a service directory; rejected rows go to PATH's stem + .rejects beside it."""
    from geo.geocode import GeocoderSettings
    from geo.importer import ImportOptions, import_path

    options = ImportOptions(source=source, mapping=_parse_map(map_), dry_run=dry_run,
                            all_or_nothing=all_or_nothing, retire_missing=retire_missing,
                            geocoder=GeocoderSettings())
    try:
        with connect(Settings()) as conn, Progress(console=console, transient=True) as bar:
            conn.execute("SET application_name = 'atlas import'")
            conn.commit()
            report = import_path(conn, path, options, progress=_progress_bar(bar))
    except AtlasError as e:
        _fail(e)
    for error in report.errors[:50]:
        console.print(f"[red]✗[/red] {error}", highlight=False)
    if len(report.errors) > 50:
        console.print(f"… and {len(report.errors) - 50} more (all in the rejects file)")
    for note in report.notes:
        console.print(f"[yellow]![/yellow] {note}", highlight=False)
    if report.rejects_file:
        console.print(f"Rejected rows written to {report.rejects_file}", highlight=False)
    print(report.one_line())
    if not report.committed and not dry_run:
        raise typer.Exit(1)
    if report.committed and not dry_run:
        _follow_deserts()


def _follow_deserts() -> None:
    """After a committed import: desert runs that a few changed sites reach are brought up to date
    now; the others are stale until `atlas deserts recompute`, and the message says so."""
    from geo.deserts.incremental import follow_changes

    with connect(Settings(), autocommit=True) as conn:
        followed = follow_changes(conn)
    if followed.updated:
        console.print(f"desert runs brought up to date: {', '.join(map(str, followed.updated))}", highlight=False)
    if followed.stale:
        console.print(f"[yellow]![/yellow] {len(followed.stale)} desert run(s) are stale: run "
                      "`atlas deserts recompute`", highlight=False)


@app.command("geocode")
def geocode_command(
    retry: bool = typer.Option(False, "--retry", help="Re-run the cascade for zip/place/county-precision rows."),
    source: str | None = typer.Option(None, help="Only this source's locations."),
) -> None:
    """Place imported locations again (with --retry, the low-precision ones)."""
    from geo.geocode import GeocoderSettings, regeocode

    if not retry:
        _fail(AtlasError("nothing to do: use --retry to re-geocode low-precision locations"))
    try:
        with connect(Settings()) as conn, Progress(console=console, transient=True) as bar:
            result = regeocode(conn, GeocoderSettings(), source=source, progress=_progress_bar(bar))
            conn.commit()
    except AtlasError as e:
        _fail(e)
    print(f"geocode --retry: {result.tried} low-precision locations tried, {result.improved} improved, "
          f"{result.unchanged} unchanged")


@app.command("export")
def export_command(
    format_: str = typer.Option(..., "--format", help="hsds, geojson or csv."),
    output: Path = typer.Option(..., "--output", "-o", help="File (csv, geojson) or folder/.zip (hsds)."),
    source: str | None = typer.Option(None, help="Only this source's services."),
) -> None:
    """Export services; confidential locations never carry a point."""
    from geo.importer.export import export

    try:
        with connect(Settings()) as conn:
            done = export(conn, format_, output, source=source)
    except AtlasError as e:
        _fail(e)
    for note in done.notes:
        print(f"note: {note}")
    print(f"exported {done.services} services as {format_} to {output}")


@app.command("serve")
def serve(
    host: str | None = typer.Option(None), port: int | None = typer.Option(None),
    workers: int = typer.Option(1),
) -> None:
    """Serve the maps and API (default http://127.0.0.1:8000)."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "service.app:create_app", factory=True, host=host or settings.host, port=port or settings.port,
        workers=workers, access_log=False, log_config=None,
    )


if __name__ == "__main__":
    app()
