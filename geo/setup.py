"""Bring a database from nothing to ready: schema, reference geography, taxonomy, sample services.

Every step is idempotent, so `make demo` can be run again and again.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo import cluster, migrate
from geo.copies import sync_copies
from geo.db import connect
from geo.regions import load_census_regions, reload_crosswalks
from geo.sample import load_sample
from geo.scope import RegionRef
from geo.settings import Settings
from geo.taxonomy import load_taxonomy
from geo.workshops.sample import load_sample_workshops


@dataclass
class SetupReport:
    regions_changed: int
    groups_moved: int
    sample_written: int
    desert_runs: int = 0


def prepare_database(settings: Settings) -> None:
    """Start the local cluster when no URL is given, then create the database and migrate it."""
    if settings.database_url is None:
        cluster.start(settings)
    cluster.ensure_database(settings.url())
    migrate.upgrade(settings)


def rebuild_database(settings: Settings, *, sample_count: int) -> SetupReport:
    """Drop the database and make it again from nothing (tests and benchmarks start clean)."""
    cluster.drop_database(settings.url())
    prepare_database(settings)
    return load_reference(settings, sample_count=sample_count)


def load_reference(settings: Settings, *, sample_count: int = 3000) -> SetupReport:
    with connect(settings) as conn:
        changed = load_census_regions(conn, settings.data_dir)
        load_taxonomy(conn, settings.data_dir)
        reports = reload_crosswalks(conn, settings.data_dir)
        written = load_sample(conn, settings.data_dir, count=sample_count) if sample_count else 0
        sync_copies(conn)  # what the regions and taxonomy changed (the triggers note it)
        if sample_count:
            load_sample_workshops(conn)  # their priorities follow once deserts are computed
    return SetupReport(changed, sum(len(r.moved) for r in reports), written)


def compute_missing_deserts(settings: Settings, resolution: int) -> int:
    """A first look at the deserts for every state with court regions, so the demo's maps have
    something to show. Skipped where a run at this resolution is current; runs withheld because a
    site they used is now confidential are recomputed first. Returns runs computed."""
    from geo.deserts.model import Parameters
    from geo.deserts.runs import compute_run, data_version, recompute_withheld

    with connect(settings) as conn:
        computed = len(recompute_withheld(conn))
        conn.commit()
        version = data_version(conn)
        states = conn.execute(
            """SELECT DISTINCT state_fips FROM region WHERE kind IN ('circuit', 'division')
               ORDER BY state_fips"""
        ).fetchall()
        for row in states:
            current = conn.execute(
                """SELECT 1 FROM desert_run WHERE region_kind = 'state' AND region_code = %s
                   AND resolution = %s AND stage IS NULL AND status = 'done' AND data_version = %s""",
                [row["state_fips"], resolution, version],
            ).fetchone()
            if current is None:
                compute_run(conn, RegionRef("state", row["state_fips"]),
                            params=Parameters(resolution=resolution, confidential_min_residents=(
                                settings.desert_confidential_min_residents)))
                conn.commit()
                computed += 1
        load_sample_workshops(conn)  # the SAMPLE workshops' priorities freeze the first gap figures
        conn.commit()
    return computed
