"""GET /api/services/nearby: the services nearest a place, as an HSDS Page.

The search location is only ever a query parameter: it is not logged (uvicorn's access log is off
and errors log the path only), not stored and never put in a cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from geo.search import (
    DEFAULT_PER_PAGE,
    DEFAULT_RADIUS_M,
    MAX_PER_PAGE,
    MAX_RADIUS_M,
    make_filter,
    nearby_services_json,
)
from service.deps import get_placer
from service.openapi import errors

router = APIRouter(prefix="/api/services", tags=["search"], responses=errors(400, 422, 503))

# Results depend on where someone is: no shared cache may keep them.
PRIVATE = {"Cache-Control": "no-store"}


class NearbyQuery(BaseModel):
    """The search's query parameters, validated as one model: one pydantic call per request
    instead of one per parameter (bench/README.md, nearby: the request path)."""

    near: str = Field(description="An address or place ('Columbia, MO'), a 5-digit ZIP, or 'lat,lon'.")
    radius_m: float = Field(DEFAULT_RADIUS_M, description=f"Metres on the ellipsoid; at most {MAX_RADIUS_M}.")
    category: str | None = Field(None, description="A category code, e.g. food (see /api/hsds/taxonomy_terms).")
    stage: str | None = Field(None, description="A landscape stage code, e.g. prevention.")
    language: str | None = Field(None, description="A language code or name, e.g. es, Spanish or español.")
    cost: str | None = Field(None, description="free, sliding scale or insurance.")
    age: int | None = Field(None, description="The person's age in years.")
    open_now: bool = Field(False, description="Only services open now, in each schedule's time zone.")
    page: int = Field(1, description="1-based page number.")
    per_page: int = Field(DEFAULT_PER_PAGE, description=f"Results per page, at most {MAX_PER_PAGE}.")


@router.get("/nearby")
def services_nearby(request: Request, q: Annotated[NearbyQuery, Query()]) -> Response:
    """Nearest first, each with distance_m (confidential sites: a county-level band instead).
    total_items is exact unless total_items_is_lower_bound is true: then more than total_items
    services match (counting stops at 500, or at the end of the page asked for when deeper, or,
    for filters without an index such as open_now, where the page was found in a dense area)."""
    filters = make_filter(category=q.category, stage=q.stage, language=q.language, cost=q.cost, age=q.age,
                          open_now=q.open_now)
    # The pooled connection and the placer are taken here, in the endpoint's one worker thread, not
    # as dependencies: each sync dependency is another hop to the thread pool (issue 12, bench/nearby).
    with request.app.state.pool.connection() as conn:
        point = get_placer(request, conn).place(q.near).point
        body = nearby_services_json(conn, lat=point.latitude, lon=point.longitude, radius_m=q.radius_m,
                                    filters=filters, page=q.page, per_page=q.per_page)
    return Response(content=body, media_type="application/json", headers=PRIVATE)
