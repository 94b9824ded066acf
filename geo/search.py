"""Nearby search: services nearest a point, filtered, as HSDS Pages built by PostGIS.

Distances are metres on the ellipsoid (geography). The search location is a query parameter only:
it is never written to a table, a log or a cookie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from psycopg import RawCursor

from geo.copies import copies_for_reading
from geo.db import Connection, query
from geo.errors import BadRequest
from geo.languages import language_or_none, unknown_language

DEFAULT_RADIUS_M = 40_000
MAX_RADIUS_M = 200_000
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
# total_items is counted exactly up to this many services, then given as this many with
# total_items_is_lower_bound: true ("more than 500 services"): counting everything in a dense radius
# would cost more than the page.
TOTAL_ITEMS_CAP = 500
# In a radius holding more than TOTAL_ITEMS_CAP matches, the KNN scan reads at most this many rows
# (or 20 per wanted result when deeper) before the filter is taken as rare right here and every match
# in the radius is read by index instead.
SCAN_ROWS = 1_000
# Each filter as SQL, over the search table's row `sp`; only those asked for are put in the query.
FILTER_SQL = {
    "category": "sp.category = %(category)s::text",  # over service_point_category (source_table)
    "stage": "sp.stages @> ARRAY[%(stage)s::text]",
    "language": "sp.languages @> ARRAY[%(language)s::text]",
    "cost": "sp.costs @> ARRAY[%(cost)s::text]",
    "age": "(sp.minimum_age IS NULL OR sp.minimum_age <= %(age)s) AND (sp.maximum_age IS NULL OR sp.maximum_age >= %(age)s)",
    "open_now": "(sp.open_week @> local_week_second(%(at)s, sp.tz_name) "
                "OR (sp.open_dated AND schedule_open_at(sp.service_id, sp.id, %(at)s)))",
}
# Filters with their own index: with one of them the matches in the radius are read through it and
# the points' index together, which is cheap when they are few. A category has its own copy of the
# search rows, indexed by (category, geog); stage and language a GIN index on service_point.
INDEXED_FILTERS = ("category", "stage", "language")
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


def source_table(asked: tuple[str, ...]) -> str:
    """The table a search reads its matches from: the category copy when a category is asked."""
    return "service_point_category" if "category" in asked else "service_point"


@cache
def nearby_sql(asked: tuple[str, ...]) -> str:
    """geo/sql/nearby_services.sql with the filters asked for (FILTER_SQL keys, in that order): each
    combination is its own statement text, so psycopg prepares it and PostgreSQL plans it apart."""
    predicates = " AND ".join(f"({FILTER_SQL[name]})" for name in asked) or "true"
    return query("nearby_services").replace("{filters}", predicates).replace("{source}", source_table(asked))


@cache
def positional_sql(asked: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """nearby_sql with its %(name)s placeholders as $1…$n, and the names in that order. psycopg
    parses a statement's placeholders on every execution once it is longer than 4,096 characters
    (this one is ~10,000, most of it the method's comments): about 0.1 ms of Python a search,
    spent here once per filter combination instead."""
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    return re.sub(r"%\((\w+)\)s", number, nearby_sql(asked)).replace("%%", "%"), tuple(names)


def asked_filters(filters: NearbyFilter) -> tuple[str, ...]:
    return tuple(name for name in FILTER_SQL if getattr(filters, name) not in (None, False))


def nearby_params(*, lat: float, lon: float, radius_m: float, filters: NearbyFilter, page: int, per_page: int,
                  at: datetime | None) -> dict:
    """The query's parameters, its bounds derived from the page wanted."""
    offset = (page - 1) * per_page
    wanted = offset + per_page
    count_limit = max(TOTAL_ITEMS_CAP, wanted) + 1
    probe_limit = wanted + wanted // 10 + 3  # the page and a margin for the ring between sphere and ellipsoid
    asked = asked_filters(filters)
    by_index = any(name in asked for name in INDEXED_FILTERS)
    # radius_m as a float, whoever asks (/find asks in whole km): an integer parameter would make
    # the SQL's arithmetic numeric, row by row, and a second prepared statement of the same text.
    return {"lat": lat, "lon": lon, "origin": f"SRID=4326;POINT({lon!r} {lat!r})", "radius_m": float(radius_m),
            "category": filters.category, "stage": filters.stage,
            "language": filters.language, "cost": filters.cost, "age": filters.age, "open_now": filters.open_now,
            "at": at or datetime.now().astimezone(), "page": page, "size": per_page, "offset": offset,
            "by_index": by_index, "count_limit": count_limit, "scan_limit": max(SCAN_ROWS, 20 * wanted),
            # the KNN scan counts too, unless an indexed filter already did, or the map's cell counts
            # (no filter) show more than count_limit services in the radius
            "scan_take": probe_limit if by_index else max(count_limit, probe_limit), "probe_limit": probe_limit,
            "count_cells": not asked}


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
    ellipsoid, nearest first; `at` is the instant open_now is judged at (default: now).
    total_items is exact up to TOTAL_ITEMS_CAP (or the end of this page, when deeper); beyond it the
    page says total_items_is_lower_bound: true, meaning more than total_items match (also when a
    filter no index serves found its page without reading the whole radius: see the SQL)."""
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise BadRequest(f"radius_m must be more than 0 and at most {MAX_RADIUS_M} metres "
                         f"({MAX_RADIUS_M // 1000} km).")
    check_paging(page, per_page)
    copies_for_reading(conn)
    with conn.transaction():
        # One generic plan per filter combination and connection, made once: PostgreSQL would
        # otherwise keep planning the statement afresh (~2 ms a request), because a custom plan, with
        # the branches this request does not take folded away, always looks the cheaper.
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        statement, names = positional_sql(asked_filters(filters))
        params = nearby_params(lat=lat, lon=lon, radius_m=radius_m, filters=filters, page=page, per_page=per_page,
                               at=at)
        row = RawCursor(conn).execute(statement, [params[name] for name in names], prepare=True).fetchone()
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
