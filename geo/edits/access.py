"""Who may edit what: an editor only records inside their regions, before and after a change, and
only references to records inside them (admins anything)."""

from __future__ import annotations

from typing import Any

from geo.db import Connection
from geo.keys import ApiKey, NotAllowed, check_counties

# The counties a record lies in: a location's own, a service's locations', and an organization's
# locations' and its services' locations'.
_COUNTIES_SQL = {
    "organization": """
        SELECT l.county_fips FROM location l WHERE l.organization_id = %(id)s
        UNION
        SELECT l.county_fips FROM service s JOIN service_at_location sal ON sal.service_id = s.id
        JOIN location l ON l.id = sal.location_id WHERE s.organization_id = %(id)s""",
    "location": "SELECT county_fips FROM location WHERE id = %(id)s",
    "service": """
        SELECT l.county_fips FROM service_at_location sal JOIN location l ON l.id = sal.location_id
        WHERE sal.service_id = %(id)s""",
}


def check_scope(conn: Connection, key: ApiKey, entity: str, record_id: str) -> None:
    """Editors only touch records inside their regions (admins anything)."""
    if key.is_admin:
        return
    rows = conn.execute(_COUNTIES_SQL[entity], {"id": record_id}).fetchall()  # type: ignore[call-overload]
    check_counties(conn, key, [r["county_fips"] for r in rows])


# Fields that point at another record, and the kind of record each points at.
REFERENCES = {"organization_id": "organization", "location_id": "location", "location_ids": "location"}


def check_references(conn: Connection, key: ApiKey, fields: dict[str, Any], before: dict | None = None) -> None:
    """An editor may point a record only at records inside their regions, or a change could pull
    a record of someone else's region into theirs (and its region into the other editor's). A
    reference the record already has (in `before`) is no new reach and is not checked again."""
    if key.is_admin:
        return
    for field, target in REFERENCES.items():
        value = fields.get(field)
        kept = (before or {}).get(field)
        kept_ids = set(kept if isinstance(kept, list) else [kept])
        for ref in value if isinstance(value, list) else [value]:
            if ref is not None and ref not in kept_ids:
                _check_reference(conn, key, target, ref, field)


def _check_reference(conn: Connection, key: ApiKey, entity: str, record_id: str, field: str) -> None:
    """403 naming `field` unless the referenced record lies inside the key's regions."""
    counties = [r["county_fips"] for r in conn.execute(
        _COUNTIES_SQL[entity], {"id": record_id})]  # type: ignore[call-overload]
    if not counties:
        # An organization is placed by its locations and its services' locations: one with none
        # yet belongs to no region, so anyone may reference it (the first placed record gives it
        # one). No row for a location means no such location, which the write refuses (422).
        return
    try:
        check_counties(conn, key, counties)
    except NotAllowed:
        raise NotAllowed(f"{field}: {entity} {record_id!r} is outside the regions of key {key.name!r} "
                         f"({', '.join(key.regions)})") from None
