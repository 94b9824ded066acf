"""Bring a database from nothing to ready: schema, reference geography, taxonomy, sample services.

Every step is idempotent, so `make demo` can be run again and again.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo import cluster, migrate
from geo.db import connect
from geo.regions import load_census_regions, reload_crosswalks
from geo.sample import load_sample
from geo.search import refresh_service_points
from geo.settings import Settings
from geo.taxonomy import load_taxonomy


@dataclass
class SetupReport:
    regions_changed: int
    groups_moved: int
    sample_written: int


def prepare_database(settings: Settings) -> None:
    """Start the local cluster when no URL is given, then create the database and migrate it."""
    if settings.database_url is None:
        cluster.start(settings)
    cluster.ensure_database(settings.url())
    migrate.upgrade(settings)


def load_reference(settings: Settings, *, sample_count: int = 3000) -> SetupReport:
    with connect(settings) as conn:
        changed = load_census_regions(conn, settings.data_dir)
        load_taxonomy(conn, settings.data_dir)
        reports = reload_crosswalks(conn, settings.data_dir)
        written = load_sample(conn, settings.data_dir, count=sample_count) if sample_count else 0
        if not written:  # load_sample refreshes what it writes; other changes need a rebuild
            refresh_service_points(conn)
    return SetupReport(changed, sum(len(r.moved) for r in reports), written)
