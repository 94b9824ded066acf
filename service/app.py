"""The FastAPI application factory. Settings and the one connection pool are made here, in the
lifespan, and kept on app.state."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

import service.api.desert_plans as desert_plans
import service.api.review as review_api
import service.pages_problem as problem_pages
from geo import gazetteer
from geo.db import make_pool
from geo.geocode import GeocoderSettings, street_geocoder
from geo.settings import Settings
from service import (
    errors,
    health,
    logs,
    map_pages,
    openapi,
    pages,
    pages_find,
    progress_page,
    report_page,
    tiles,
    warm,
)
from service.api import deserts, edit, hsds, layers, regions, search, workshops
from service.limits import BodySizeLimit
from service.responses import JSONResponse
from service.security import SecurityHeaders


def warm_then_freeze() -> None:
    """Load the gazetteer, then put every object alive (it, the app, its modules) in the garbage
    collector's permanent generation. The gazetteer is about a million small objects per worker,
    and a full collection walked them all, holding the GIL: ~260 ms each (max ~600), about one a
    second under load, every request of the worker stalled behind it (GET /health p99 ~400 ms at
    32 clients, bench/README.md). Frozen objects are still freed by reference counting; only
    cycles among them are never collected, and they live as long as the process anyway.
    Called before the app serves (~2 s), with collection off: loading would otherwise set off a
    dozen full collections of its own, and beside the first requests it would compete with them
    for the GIL. Freezing is a splice of lists: no collection first, which would walk them again."""
    gc.disable()
    try:
        gazetteer.warm()
    finally:
        gc.freeze()
        gc.enable()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = make_pool(settings)
        pool.open(wait=False)  # start even if the database is down; /health says so
        app.state.pool = pool
        warm_then_freeze()  # before the first request: loading beside them made them wait (below)
        stop_warming = warm.start(pool, settings)  # the desert view /map opens on, kept built
        try:
            yield
        finally:
            stop_warming()
            pool.close()

    app = FastAPI(
        title="Upstream Atlas",
        description="Services families need, mapped over counties and judicial circuits.",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=JSONResponse,
    )
    app.state.settings = settings
    app.state.street_geocoder = street_geocoder(GeocoderSettings())  # None unless ATLAS_GEOCODER_* is set
    errors.install(app)
    openapi.install(app)

    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=1)  # layer GeoJSON shrinks ~7×
    static = resources.files("service").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    # progress_page before map_pages: its /embed/progress is not an /embed/{region}.
    for module in (health, regions, layers, search, hsds, deserts, edit, workshops, tiles, progress_page,
                   map_pages, pages, pages_find, report_page):
        app.include_router(module.router)
    for module in (review_api, problem_pages):  # reports, verification, the review queue, freshness
        app.include_router(module.router)
    app.include_router(desert_plans.router)  # what-if and where-to on desert runs
    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders, settings=settings)  # on every answer, 413s and 500s too
    app.add_middleware(logs.AccessLog)  # outermost: sees every response, including 413s and 500s
    logs.configure(logging.INFO)
    return app
