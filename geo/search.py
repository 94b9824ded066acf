"""Nearby search: services nearest a point, filtered, as HSDS Pages built by PostGIS.

Distances are metres on the ellipsoid (geography). The search location is a query parameter only:
it is never written to a table, a log or a cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geo.copies import copies_for_reading
from geo.db import Connection, query
from geo.errors import BadRequest
from geo.languages import language_or_none, unknown_language

DEFAULT_RADIUS_M = 40_000
MAX_RADIUS_M = 200_000
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
COSTS = {"free": "free", "sliding scale": "sliding scale", "sliding-scale": "sliding scale",
         "sliding_scale": "sliding scale", "insurance": "insurance"}


@dataclass(frozen=True)
class NearbyFilter:
    """What a family asked for, already checked: every field is safe to hand to the SQL."""

    category: str | None = None
    stage: str | None = None
    language: str | None = None
    cost: str | None = None
    age: int | None = None
    open_now: bool = False


def check_paging(page: int, per_page: int) -> None:
    """Paging limits, as 400s a person can act on."""
    if page < 1 or page > MAX_PAGE:
        raise BadRequest(f"page must be from 1 to {MAX_PAGE}.")
    if per_page < 1 or per_page > MAX_PER_PAGE:
        raise BadRequest(f"per_page must be from 1 to {MAX_PER_PAGE}.")


def make_filter(
    *,
    category: str | None = None,
    stage: str | None = None,
    language: str | None = None,
    cost: str | None = None,
    age: int | None = None,
    open_now: bool = False,
) -> NearbyFilter:
    """Normalise the filters (blank means none) and refuse the ones that cannot match anything."""
    cost_key = (cost or "").strip().lower() or None
    if cost_key is not None and cost_key not in COSTS:
        raise BadRequest(f"unknown cost {cost!r}: use free, sliding scale or insurance.")
    if age is not None and not 0 <= age <= 130:
        raise BadRequest("age must be from 0 to 130 (years).")
    lang = None
    if language and language.strip():
        found = language_or_none(language)
        if found is None:
            raise BadRequest(f"{unknown_language(language)}.")
        lang = found.code
    return NearbyFilter(
        category=(category or "").strip() or None,
        stage=(stage or "").strip() or None,
        language=lang,  # an ISO 639 code, as every writer stores it (geo.languages)
        cost=COSTS[cost_key] if cost_key else None,
        age=age,
        open_now=open_now,
    )


def nearby_services_json(
    conn: Connection,
    *,
    lat: float,
    lon: float,
    radius_m: float = DEFAULT_RADIUS_M,
    filters: NearbyFilter = NearbyFilter(),
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    at: datetime | None = None,
) -> str:
    """One HSDS Page (JSON text) of services nearest (lat, lon) within radius_m metres on the
    ellipsoid, nearest first; `at` is the instant open_now is judged at (default: now)."""
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise BadRequest(f"radius_m must be more than 0 and at most {MAX_RADIUS_M} metres "
                         f"({MAX_RADIUS_M // 1000} km).")
    check_paging(page, per_page)
    copies_for_reading(conn)
    row = conn.execute(
        query("nearby_services"),
        {"lat": lat, "lon": lon, "radius_m": radius_m, "category": filters.category,
         "stage": filters.stage, "language": filters.language, "cost": filters.cost,
         "age": filters.age, "open_now": filters.open_now, "at": at or datetime.now().astimezone(),
         "page": page, "size": per_page, "offset": (page - 1) * per_page},
    ).fetchone()
    assert row is not None
    if row["unknown_category"]:
        codes = [r["code"] for r in conn.execute("SELECT code FROM taxonomy_term ORDER BY code")]
        raise BadRequest(f"unknown category {filters.category!r}: use one of {', '.join(codes)}.")
    if row["unknown_stage"]:
        codes = [r["code"] for r in conn.execute("SELECT code FROM landscape_stage ORDER BY position")]
        raise BadRequest(f"unknown stage {filters.stage!r}: use one of {', '.join(codes)}.")
    return row["page"]


def services_at_locations(conn: Connection, ids: list[str]) -> list[dict]:
    """Services at locations by id, in the order given, as search shows them (a confidential site
    without its point or address); unknown ids are left out. For a shared list: no distances."""
    if not ids:
        return []
    copies_for_reading(conn)
    rows = conn.execute(
        "SELECT doc FROM service_point WHERE id = ANY(%(ids)s) ORDER BY array_position(%(ids)s, id)",
        {"ids": ids},
    ).fetchall()
    return [r["doc"] for r in rows]
