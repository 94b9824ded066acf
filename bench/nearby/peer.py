"""bench/nearby's HTTP peer: the page alone served over HTTP by the least a Python web service needs.

The anchor (pgbench on the page alone) has no HTTP, no Python and no JSON assembly in it, so no web
service can reach it. This peer is the best simple thing that does the API's job over HTTP: a bare
ASGI app (no framework, no middleware, no validation, no count, no re-ranking) on the same uvicorn,
with the same workers and pool size, that runs the anchor's own SQL and returns the page's docs
with their distances as one JSON array. What the API serves against it is what the API's own
features cost; what the peer serves against pgbench is what HTTP in Python costs on this machine.

    BENCH_DATABASE_URL=... uvicorn bench.nearby.peer:app --workers 2   # bench.py starts it

GET /nearby?lat=..&lon=..[&category=..]: no filter reads the anchor's SQL (service_point by KNN);
a category reads the anchor on the copy (service_point_category by KNN, the faster of the two).
Each request runs in uvicorn's event loop on psycopg's async pool: no thread pool hop.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from psycopg_pool import AsyncConnectionPool

from bench.nearby.bench import ANCHOR_COPY_SQL, ANCHOR_SQL, PER_PAGE
from geo.search import DEFAULT_RADIUS_M

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def _doc_as_text(sql: str, doc: str) -> str:
    """The anchor's SQL with its doc as text: the peer only passes it on."""
    assert f"SELECT {doc}, p.d" in sql, "the anchor's select list changed: update the peer"
    return sql.replace(f"SELECT {doc}, p.d", f"SELECT {doc}::text, p.d")


SQL = {False: _doc_as_text(ANCHOR_SQL, "p.doc"), True: _doc_as_text(ANCHOR_COPY_SQL, "sp.doc")}


async def _page(pool: AsyncConnectionPool, lat: float, lon: float, category: str | None) -> bytes:
    async with pool.connection() as conn:
        params = {"lon": lon, "lat": lat, "category": category, "size": PER_PAGE, "radius_m": DEFAULT_RADIUS_M}
        cur = await conn.execute(SQL[category is not None], params, prepare=True)
        rows = await cur.fetchall()
    items = (f'{doc[:-1]}, "distance_m": {round(d)}}}' for doc, d in rows)
    return ("[" + ", ".join(items) + "]").encode()


async def _lifespan(state: dict, receive: Receive, send: Send) -> None:
    """The pool, opened before the first request and kept in the lifespan state uvicorn hands to
    every request's scope."""
    await receive()  # lifespan.startup
    size = int(os.environ.get("PEER_POOL", "4"))  # the API's pool size per worker (bench.py --pool)
    pool = AsyncConnectionPool(os.environ["BENCH_DATABASE_URL"], min_size=size, max_size=size,
                               kwargs={"autocommit": True}, open=False)
    await pool.open(wait=True)
    state["pool"] = pool
    await send({"type": "lifespan.startup.complete"})
    await receive()  # lifespan.shutdown
    await pool.close()
    await send({"type": "lifespan.shutdown.complete"})


async def app(scope: dict, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(scope["state"], receive, send)
        return
    query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
    body = await _page(scope["state"]["pool"], float(query["lat"]), float(query["lon"]), query.get("category") or None)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
