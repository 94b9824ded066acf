"""Open Referral HSDS 3 API endpoints, so existing directory tools can read Upstream Atlas.

Every list is an HSDS Page (`total_items`, `total_pages`, `page_number`, `size`, `first_page`,
`last_page`, `empty`, `contents`), paged with `page` and `per_page` like /api/services/nearby.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from geo import hsds
from geo.search import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from service.deps import Conn
from service.openapi import content, errors

router = APIRouter(prefix="/api/hsds", tags=["hsds"], responses=errors(400, 422, 503))
# HSDS 3.0 objects; tests/service/test_hsds_schema.py validates them against the official schemas.
HSDS_OBJECT = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "format": "uuid"}}}
HSDS_PAGE = content("application/json", {
    "type": "object", "description": "An HSDS 3.0 Page.",
    "required": ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty",
                 "contents"],
    "properties": {**{k: {"type": "integer"} for k in ("total_items", "total_pages", "page_number", "size")},
                   **{k: {"type": "boolean"} for k in ("first_page", "last_page", "empty")},
                   "contents": {"type": "array", "items": HSDS_OBJECT}}})

# The limits are declared, and checked by geo.search.check_paging (a 400 saying what to use).
Page = Annotated[int, Query(description="1-based page number.",
                            json_schema_extra={"minimum": 1, "maximum": MAX_PAGE})]
PerPage = Annotated[int, Query(description=f"Items per page, at most {MAX_PER_PAGE}.",
                               json_schema_extra={"minimum": 1, "maximum": MAX_PER_PAGE})]
Text = Annotated[str | None, Query(max_length=200)]


def _json(body: str) -> Response:
    return Response(content=body, media_type="application/json")


@router.get("/services", response_class=Response, responses=HSDS_PAGE)
def services(conn: Conn, page: Page = 1, per_page: PerPage = DEFAULT_PER_PAGE, search: Text = None,
             organization_id: Text = None, taxonomy_term_id: Text = None) -> Response:
    """Services, by name."""
    return _json(hsds.services_page(conn, page=page, per_page=per_page, search=search,
                                    organization_id=organization_id, taxonomy_term_id=taxonomy_term_id))


@router.get("/services/{service_id}", response_class=Response,
            responses={**content("application/json", HSDS_OBJECT), **errors(404)})
def service(conn: Conn, service_id: str) -> Response:
    """One service in full; confidential sites without location details."""
    return _json(hsds.service_detail(conn, service_id))


@router.get("/service_at_locations", response_class=Response, responses=HSDS_PAGE)
def service_at_locations(
    conn: Conn, page: Page = 1, per_page: PerPage = DEFAULT_PER_PAGE,
    postcode: Annotated[str | None, Query(description="A 5-digit ZIP code.")] = None,
    proximity: Annotated[str | None, Query(description="'lat,lon' or 'lat,lon,radius_m': nearest first.")] = None,
) -> Response:
    """Services at their locations, by postcode and/or proximity. The point is not logged or stored."""
    body = hsds.service_at_locations_page(conn, page=page, per_page=per_page, postcode=postcode,
                                          proximity=proximity)
    return Response(content=body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/organizations", response_class=Response, responses=HSDS_PAGE)
def organizations(conn: Conn, page: Page = 1, per_page: PerPage = DEFAULT_PER_PAGE, search: Text = None) -> Response:
    """Organizations, by name."""
    return _json(hsds.organizations_page(conn, page=page, per_page=per_page, search=search))


@router.get("/taxonomy_terms", response_class=Response, responses=HSDS_PAGE)
def taxonomy_terms(conn: Conn, page: Page = 1, per_page: PerPage = DEFAULT_PER_PAGE,
                   taxonomy_id: Text = None, parent_id: Text = None) -> Response:
    """Taxonomy terms: the service categories used by `category` filters."""
    return _json(hsds.taxonomy_terms_page(conn, page=page, per_page=per_page, taxonomy_id=taxonomy_id,
                                          parent_id=parent_id))
