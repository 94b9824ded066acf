"""`atlas review …`: a region's review queue at the command line (open problem reports, listings past
their verification age, listings an import retired) and the same audited actions as the API. Listing
needs only database access; every action needs an API key (`--key` or ATLAS_API_KEY), is scoped to
its regions like an edit and audited under its name."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from geo.db import Connection, connect
from geo.errors import AtlasError
from geo.keys import ApiKey, authenticate
from geo.review import listings, queue, reports
from geo.scope import RegionRef
from geo.settings import Settings

app = typer.Typer(help="The review queue: problem reports, listings to re-verify, listings an import retired.")
out = Console(soft_wrap=True, markup=False, highlight=False, emoji=False)  # reports' text shown as typed
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)
KEY = typer.Option(..., "--key", envvar="ATLAS_API_KEY", help="An API key (atk_…); its regions scope the action.")


def _fail(error: Exception) -> None:
    err.print(f"✗ {error}")
    raise typer.Exit(1)


def _act(key_text: str, action: Callable[[Connection, ApiKey], Any]) -> None:
    """Run one audited action as the key's holder and print the record as it is afterwards."""
    try:
        with connect(Settings(), autocommit=True) as conn:
            result = action(conn, authenticate(conn, key_text))
    except (AtlasError, ValueError) as e:  # ValueError: a value the request models refuse
        _fail(e)
    out.print(json.dumps(result, default=str, ensure_ascii=False, indent=1))


def _line(name: str, item: dict) -> str:
    service = item["service"]
    counties = ", ".join(c["name"] or c["fips"] or "?" for c in service["counties"])
    where = f"{service['name']} ({service['id']}; {counties}{'; confidential' if service['confidential'] else ''})"
    if name == "reports":
        text = (item["text"] or "").replace("\n", " ")
        return f"report {item['id']}  {item['created_at']:%Y-%m-%d}  {item['kind']}  {where}  {text}"
    if name == "stale":
        return f"verify  {item['assured_date'] or 'never verified'}  {where}"
    return f"flagged  retired {item['retired_at']:%Y-%m-%d} by import run {item['import_run_id']}  {where}"


@app.command("list")
def list_queue(
    queue_name: str = typer.Option("all", "--queue", help="reports, stale, flagged or all"),
    region: str | None = typer.Option(None, help="KIND:CODE, e.g. circuit:MO-16 (default: everywhere)"),
    limit: int = typer.Option(50, help="Items per queue."),
) -> None:
    """Print the queue(s), oldest report first; text is printed as typed, never interpreted."""
    settings = Settings()
    names = queue.QUEUES if queue_name == "all" else (queue_name,)
    try:
        if any(n not in queue.QUEUES for n in names):
            raise AtlasError(f"--queue must be one of reports, stale, flagged, all (not {queue_name!r})")
        ref = RegionRef.parse(region) if region else None
        with connect(settings) as conn:
            pages = [queue.queue_page(conn, None, n, region=ref, months=settings.verify_max_age_months,
                                      limit=limit) for n in names]
    except AtlasError as e:
        _fail(e)
    for page in pages:
        out.print(f"{page.queue}: {page.total}")
        for item in page.items:
            out.print("  " + _line(page.queue, item))


@app.command("resolve")
def resolve(report_id: int, key: str = KEY, note: str | None = typer.Option(None),
            edit: int | None = typer.Option(None, help="The audit id of the edit it led to.")) -> None:
    """Close a report as resolved."""
    _act(key, lambda c, k: reports.resolve_report(c, k, report_id, reports.CloseIn(note=note, edit_audit_id=edit)))


@app.command("dismiss")
def dismiss(report_id: int, key: str = KEY, note: str | None = typer.Option(None)) -> None:
    """Close a report as dismissed (nothing to change)."""
    _act(key, lambda c, k: reports.dismiss_report(c, k, report_id, reports.CloseIn(note=note)))


@app.command("verify")
def verify(service_id: str, key: str = KEY, date: str | None = typer.Option(None, help="YYYY-MM-DD (default today)"),
           email: str | None = typer.Option(None, help="Who confirmed it (assurer_email).")) -> None:
    """Record that a listing was confirmed as it stands."""
    _act(key, lambda c, k: listings.verify_service(c, k, service_id,
                                                   listings.VerifyIn(assured_date=date, assurer_email=email)))  # type: ignore[arg-type]


@app.command("keep-retired")
def keep_retired(service_id: str, key: str = KEY, note: str | None = typer.Option(None)) -> None:
    """An import retired it and was right: it leaves the queue."""
    _act(key, lambda c, k: listings.keep_retired(c, k, service_id, listings.FlagIn(note=note)))


@app.command("bring-back")
def bring_back(service_id: str, key: str = KEY, note: str | None = typer.Option(None)) -> None:
    """An import retired it wrongly: it is live again."""
    _act(key, lambda c, k: listings.bring_back(c, k, service_id, listings.FlagIn(note=note)))
