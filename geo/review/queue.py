"""The review queue of a region: open reports, listings past their verification age, and listings an
import retired, each listing only what the asking key may act on (the scope rule of edits), and how
fresh each county and court region is (share verified within the age, open reports)."""

from __future__ import annotations

from dataclasses import dataclass

from geo.db import Connection, query
from geo.errors import NotFound
from geo.keys import ApiKey
from geo.scope import RegionRef

QUEUES = ("reports", "stale", "flagged")
PAGE_MAX = 500


@dataclass(frozen=True)
class QueuePage:
    queue: str
    total: int
    items: list[dict]


def queue_page(conn: Connection, key: ApiKey | None, queue: str, *, region: RegionRef | None = None,
               months: int = 12, limit: int = 50, offset: int = 0) -> QueuePage:
    """One page of a queue for `key` (None: the operator at the command line, who sees everything)."""
    if queue not in QUEUES:
        raise ValueError(queue)
    params = {
        "key_regions": None if key is None or key.is_admin else list(key.regions),
        "region": str(region) if region else None,
        "months": months, "limit": min(limit, PAGE_MAX), "offset": offset,
    }
    rows = conn.execute(query("review_scope") + query(f"review_{queue}"), params).fetchall()  # type: ignore[call-overload]
    total = rows[0]["total"] if rows else 0
    return QueuePage(queue, total, [{k: v for k, v in r.items() if k != "total"} for r in rows])


def queue_counts(conn: Connection, key: ApiKey | None, *, region: RegionRef | None = None,
                 months: int = 12) -> dict[str, int]:
    """How many items each queue holds."""
    return {q: queue_page(conn, key, q, region=region, months=months, limit=1).total for q in QUEUES}


def freshness(conn: Connection, region: RegionRef, months: int = 12) -> list[dict]:
    """The region's own row first, then its circuits/divisions (for a state) and its counties."""
    rows = conn.execute(query("review_freshness"),
                        {"kind": region.kind, "code": region.code, "months": months}).fetchall()
    if not rows:
        raise NotFound(f"no {region.kind} with code {region.code!r}")
    return rows
