"""Open Referral HSDS 3 API reads: services, one service, service_at_locations (postcode and
proximity), organizations and taxonomy terms, each as an HSDS Page of JSON built by PostgreSQL.

Confidential sites never carry a point, coordinates, an address or a distance here either.
"""

from __future__ import annotations

import json
import math
import re

from geo.db import Connection, query
from geo.errors import BadRequest, NotFound
from geo.search import DEFAULT_RADIUS_M, MAX_RADIUS_M, check_paging

PROXIMITY = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*(?:,\s*(\d+(?:\.\d+)?)\s*)?$")


def hsds_page(rows: dict, page: int, per_page: int) -> str:
    """The HSDS Page envelope around contents that are already JSON text (no re-encoding)."""
    total, size = int(rows["total"]), int(rows["n"])
    total_pages = math.ceil(total / per_page)
    head = {"total_items": total, "total_pages": total_pages, "page_number": page, "size": size,
            "first_page": page == 1, "last_page": page >= total_pages, "empty": size == 0}
    return json.dumps(head)[:-1] + ', "contents": ' + rows["items"] + "}"


def _paged(conn: Connection, name: str, params: dict, page: int, per_page: int) -> str:
    check_paging(page, per_page)
    row = conn.execute(query(name), {**params, "size": per_page, "offset": (page - 1) * per_page}).fetchone()
    assert row is not None
    return hsds_page(row, page, per_page)


def _blank(value: str | None) -> str | None:
    return (value or "").strip() or None


def services_page(conn: Connection, *, page: int, per_page: int, search: str | None = None,
                  organization_id: str | None = None, taxonomy_term_id: str | None = None) -> str:
    """Services by name, optionally matching text, an organization or a taxonomy term."""
    return _paged(conn, "hsds_services", {"search": _blank(search), "organization_id": _blank(organization_id),
                                          "taxonomy_term_id": _blank(taxonomy_term_id)}, page, per_page)


def service_detail(conn: Connection, service_id: str) -> str:
    """One service with its organization, phones, schedules, languages, costs, terms and sites."""
    row = conn.execute(query("hsds_service"), {"id": service_id}).fetchone()
    if row is None:
        raise NotFound(f"no service with id {service_id!r}")
    return row["service"]


def parse_proximity(proximity: str) -> tuple[float, float, float]:
    """`lat,lon` or `lat,lon,radius_m` → (lat, lon, radius_m), metres on the ellipsoid."""
    m = PROXIMITY.match(proximity)
    if not m:
        raise BadRequest("proximity must be 'lat,lon' or 'lat,lon,radius_m', e.g. 38.95,-92.33,10000.")
    lat, lon = float(m.group(1)), float(m.group(2))
    radius_m = float(m.group(3)) if m.group(3) else float(DEFAULT_RADIUS_M)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest("proximity needs a latitude from -90 to 90 and a longitude from -180 to 180.")
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise BadRequest(f"proximity radius must be more than 0 and at most {MAX_RADIUS_M} metres.")
    return lat, lon, radius_m


def service_at_locations_page(conn: Connection, *, page: int, per_page: int, postcode: str | None = None,
                              proximity: str | None = None) -> str:
    """Services at locations, by postcode and/or nearest first to a proximity point."""
    lat = lon = None
    radius_m: float = DEFAULT_RADIUS_M
    if _blank(proximity):
        lat, lon, radius_m = parse_proximity(proximity or "")
    code = _blank(postcode)
    if code is not None and not re.fullmatch(r"\d{5}", code):
        raise BadRequest("postcode must be a 5-digit ZIP code.")
    return _paged(conn, "hsds_service_at_locations",
                  {"postcode": code, "lat": lat, "lon": lon, "radius_m": radius_m}, page, per_page)


def organizations_page(conn: Connection, *, page: int, per_page: int, search: str | None = None) -> str:
    """Organizations by name."""
    return _paged(conn, "hsds_organizations", {"search": _blank(search)}, page, per_page)


def taxonomy_terms_page(conn: Connection, *, page: int, per_page: int, taxonomy_id: str | None = None,
                        parent_id: str | None = None) -> str:
    """Taxonomy terms (our service categories), by taxonomy and code."""
    return _paged(conn, "hsds_taxonomy_terms",
                  {"taxonomy_id": _blank(taxonomy_id), "parent_id": _blank(parent_id)}, page, per_page)
