"""Editing HSDS records (organizations, services, locations): validated drafts, writes that produce
the same rows the loaders do, region checks for editors, and an audit row in the same transaction.

Every write runs in one transaction: the change, the editor's region check on the record as it was
and as it will be, and the audit row. Any failure (a bad category, a region outside the key's, the
database going away) rolls all of it back, so no change is ever half-applied.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from psycopg import sql
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from geo import audit
from geo.db import Connection
from geo.errors import BadRequest, NotFound, RowError, ValidationFailed
from geo.fields import (
    FieldProblem,
    check_coordinates,
    check_schedule_days,
    check_season,
    day_list,
    parse_phone,
)
from geo.gazetteer import zip_timezone
from geo.geocode import StateShapes, state_problem
from geo.keys import ApiKey, NotAllowed, check_counties
from geo.languages import find_language
from geo.overlay import county_at
from geo.taxonomy import TAXONOMY, term_id

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    """NUL and other control characters have no place in a directory (and PostgreSQL refuses NUL)."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _phone(value: str) -> str:
    """A dialable number, checked and written the way imports write it (geo.fields.parse_phone)."""
    try:
        phone = parse_phone(value)
    except FieldProblem as p:
        raise ValueError(p.reason) from None
    return phone.number + (f" x{phone.extension}" if phone.extension else "")


def _language(value: str) -> str:
    """A language by code or name ("es", "Spanish", "español"), stored as its ISO 639 code."""
    try:
        return find_language(value).code
    except FieldProblem as p:
        raise ValueError(p.reason) from None


_Clean = AfterValidator(_no_control)
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _Clean]
City = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _Clean]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), _Clean]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), _Clean]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$")]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://[^\s\x00-\x1f]+$")]
RecordId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")]
LanguageCode = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_language)]
Phone = Annotated[str, StringConstraints(min_length=3, max_length=40), AfterValidator(_phone)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Age = Annotated[float, Field(ge=0, le=130, allow_inf_nan=False)]
Status = Literal["active", "inactive", "defunct", "temporarily closed"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_point(latitude: float | None, longitude: float | None) -> None:
    """The importer's rule for coordinates (geo.fields.check_coordinates)."""
    try:
        check_coordinates(latitude, longitude)
    except FieldProblem as p:
        raise ValueError(f"{p.field_name}: {p.reason}") from None


class AddressIn(_Model):
    address_1: Name
    address_2: ShortText | None = None
    city: City
    state_province: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}(-[0-9]{4})?$")]


class OrganizationIn(_Model):
    name: Name
    alternate_name: ShortText | None = None
    description: LongText | None = None
    email: Email | None = None
    website: Url | None = None


class OrganizationPatch(_Model):
    name: Name | None = None
    alternate_name: ShortText | None = None
    description: LongText | None = None
    email: Email | None = None
    website: Url | None = None


class LocationIn(_Model):
    name: ShortText | None = None
    description: LongText | None = None
    latitude: Latitude
    longitude: Longitude
    confidential: bool = False
    organization_id: RecordId | None = None
    address: AddressIn | None = None

    @model_validator(mode="after")
    def _real_point(self) -> LocationIn:
        _check_point(self.latitude, self.longitude)
        return self


class LocationPatch(_Model):
    name: ShortText | None = None
    description: LongText | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    confidential: bool | None = None
    organization_id: RecordId | None = None
    address: AddressIn | None = None

    @model_validator(mode="after")
    def _real_point(self) -> LocationPatch:
        _check_point(self.latitude, self.longitude)
        return self


Clock = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class HoursIn(_Model):
    """One opening rule as HSDS schedules say it, checked by the importer's rules (geo.fields):
    weekly days (MO,TU), or monthly ones (2SA the second Saturday, -1FR the last Friday, or
    bymonthday 1,15), optionally for a season. Times are local to the service's ZIP code."""

    freq: Literal["WEEKLY", "MONTHLY"] = "WEEKLY"
    byday: Annotated[str, StringConstraints(max_length=60)] = ""
    bymonthday: Annotated[str, StringConstraints(max_length=60)] | None = None
    opens_at: Clock
    closes_at: Clock
    valid_from: date | None = None
    valid_to: date | None = None
    description: ShortText | None = None

    @field_validator("byday", "bymonthday")
    @classmethod
    def _list(cls, value: str | None) -> str | None:
        return None if value is None else day_list(value)

    @model_validator(mode="after")
    def _a_rule(self) -> HoursIn:
        try:
            check_schedule_days(self.freq, self.byday, self.bymonthday or None)
            check_season(self.valid_from, self.valid_to)
        except FieldProblem as p:
            raise ValueError(f"{p.field_name}: {p.reason}") from None
        return self


class _ServiceCommon(_Model):
    alternate_name: ShortText | None = None
    description: LongText | None = None
    url: Url | None = None
    email: Email | None = None
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    capacity: Annotated[int, Field(ge=0, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _ages_in_order(self) -> _ServiceCommon:
        if self.minimum_age is not None and self.maximum_age is not None and self.minimum_age > self.maximum_age:
            raise ValueError("minimum_age is above maximum_age")
        return self


class ServiceIn(_ServiceCommon):
    """A new service with everything the map needs; the organization and location may be new."""

    name: Name
    status: Status = "active"
    confidential: bool = False
    organization_id: RecordId | None = None
    organization: OrganizationIn | None = None
    location_id: RecordId | None = None
    location: LocationIn | None = None
    categories: Annotated[list[Code], Field(min_length=1, max_length=10)]
    stages: Annotated[list[Code], Field(max_length=6)] = []
    languages: Annotated[list[LanguageCode], Field(max_length=20)] = ["en"]
    phones: Annotated[list[Phone], Field(max_length=5)] = []
    hours: Annotated[list[HoursIn], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _one_of_each(self) -> ServiceIn:
        if (self.organization_id is None) == (self.organization is None):
            raise ValueError("give exactly one of organization_id or organization")
        if (self.location_id is None) == (self.location is None):
            raise ValueError("give exactly one of location_id or location")
        return self


class ServicePatch(_ServiceCommon):
    """Only the fields sent change; `location_ids` moves the service to other existing locations."""

    name: Name | None = None
    status: Status | None = None
    confidential: bool | None = None
    organization_id: RecordId | None = None
    location_ids: Annotated[list[RecordId], Field(min_length=1, max_length=20)] | None = None
    categories: Annotated[list[Code], Field(min_length=1, max_length=10)] | None = None
    stages: Annotated[list[Code], Field(max_length=6)] | None = None
    languages: Annotated[list[LanguageCode], Field(max_length=20)] | None = None
    phones: Annotated[list[Phone], Field(max_length=5)] | None = None
    hours: Annotated[list[HoursIn], Field(max_length=20)] | None = None


# Columns a patch may set directly, per entity; everything else is written by its own helper.
COLUMNS = {
    "organization": ("name", "alternate_name", "description", "email", "website"),
    "location": ("name", "description", "confidential", "organization_id"),
    "service": ("organization_id", "name", "alternate_name", "description", "url", "email", "status",
                "minimum_age", "maximum_age", "capacity", "confidential"),
}
NOT_NULL = {
    "organization": {"name"},
    "location": {"confidential"},
    "service": {"name", "status", "confidential", "organization_id"},
}
PATCH_MODELS: dict[str, type[BaseModel]] = {
    "organization": OrganizationPatch, "location": LocationPatch, "service": ServicePatch,
}
_SNAPSHOT_SQL = {
    "organization": """
        SELECT jsonb_build_object('id', o.id, 'name', o.name, 'alternate_name', o.alternate_name,
            'description', o.description, 'email', o.email, 'website', o.website,
            'retired_at', o.retired_at) AS snap
        FROM organization o WHERE o.id = %s""",
    "location": """
        SELECT jsonb_build_object('id', l.id, 'name', l.name, 'description', l.description,
            'latitude', l.latitude, 'longitude', l.longitude, 'confidential', l.confidential,
            'organization_id', l.organization_id, 'county_fips', l.county_fips, 'retired_at', l.retired_at,
            'address', (SELECT jsonb_build_object('address_1', a.address_1, 'address_2', a.address_2,
                                'city', a.city, 'state_province', a.state_province, 'postal_code', a.postal_code)
                        FROM address a WHERE a.location_id = l.id ORDER BY a.id LIMIT 1)) AS snap
        FROM location l WHERE l.id = %s""",
    "service": """
        SELECT jsonb_build_object('id', s.id, 'organization_id', s.organization_id, 'name', s.name,
            'alternate_name', s.alternate_name, 'description', s.description, 'url', s.url,
            'email', s.email, 'status', s.status, 'minimum_age', s.minimum_age,
            'maximum_age', s.maximum_age, 'capacity', s.capacity, 'confidential', s.confidential,
            'retired_at', s.retired_at,
            'categories', coalesce((SELECT jsonb_agg(t.code ORDER BY t.code) FROM attribute a
                JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
                WHERE a.link_entity = 'service' AND a.link_id = s.id AND t.taxonomy = %s), '[]'),
            'stages', coalesce((SELECT jsonb_agg(ss.stage_code ORDER BY ss.stage_code)
                FROM service_stage ss WHERE ss.service_id = s.id), '[]'),
            'languages', coalesce((SELECT jsonb_agg(lg.code ORDER BY lg.code) FROM language lg
                WHERE lg.service_id = s.id AND lg.code IS NOT NULL), '[]'),
            'phones', coalesce((SELECT jsonb_agg(p.number ORDER BY p.number) FROM phone p
                WHERE p.service_id = s.id), '[]'),
            'location_ids', coalesce((SELECT jsonb_agg(sal.location_id ORDER BY sal.location_id)
                FROM service_at_location sal WHERE sal.service_id = s.id), '[]'),
            'hours', coalesce((SELECT jsonb_agg(jsonb_build_object('freq', coalesce(sc.freq, 'WEEKLY'),
                    'byday', coalesce(sc.byday, ''), 'bymonthday', sc.bymonthday,
                    'opens_at', to_char(sc.opens_at, 'HH24:MI'), 'closes_at', to_char(sc.closes_at, 'HH24:MI'),
                    'valid_from', sc.valid_from, 'valid_to', sc.valid_to, 'description', sc.description)
                    ORDER BY sc.id)
                FROM schedule sc WHERE sc.service_id = s.id AND sc.opens_at IS NOT NULL), '[]')) AS snap
        FROM service s WHERE s.id = %s""",
}
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


def snapshot(conn: Connection, entity: str, record_id: str) -> dict | None:
    """The editable state of one record as JSON: what the audit trail keeps and restore puts back."""
    params = [TAXONOMY, record_id] if entity == "service" else [record_id]
    row = conn.execute(_SNAPSHOT_SQL[entity], params).fetchone()  # type: ignore[call-overload]
    return row["snap"] if row else None


def _existing(conn: Connection, entity: str, record_id: str, *, lock: bool = False) -> dict:
    """The record's snapshot, or NotFound; `lock` holds its row until the transaction ends, so two
    concurrent edits are applied (and audited) one after the other, each with the right `before`."""
    if lock:
        conn.execute(sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR UPDATE").format(sql.Identifier(entity)),
                     [record_id])
    snap = snapshot(conn, entity, record_id)
    if snap is None:
        raise NotFound(f"no {entity} {record_id!r}")
    return snap


def _check_scope(conn: Connection, key: ApiKey, entity: str, record_id: str) -> None:
    """Editors only touch records inside their regions (admins anything)."""
    if key.is_admin:
        return
    rows = conn.execute(_COUNTIES_SQL[entity], {"id": record_id}).fetchall()  # type: ignore[call-overload]
    check_counties(conn, key, [r["county_fips"] for r in rows])


# Fields that point at another record, and the kind of record each points at.
REFERENCES = {"organization_id": "organization", "location_id": "location", "location_ids": "location"}


def _check_references(conn: Connection, key: ApiKey, fields: dict[str, Any], before: dict | None = None) -> None:
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
        # one). No row for a location means no such location: _check_live says so (422).
        return
    try:
        check_counties(conn, key, counties)
    except NotAllowed:
        raise NotAllowed(f"{field}: {entity} {record_id!r} is outside the regions of key {key.name!r} "
                         f"({', '.join(key.regions)})") from None


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed([RowError("request", 0, field, reason)])


def _check_codes(conn: Connection, categories: list[str] | None, stages: list[str] | None) -> None:
    """Categories and stages must be ones the taxonomy (data/taxonomy/*.csv) knows."""
    errors = []
    if categories:
        known = {r["code"] for r in conn.execute(
            "SELECT code FROM taxonomy_term WHERE taxonomy = %s AND code = ANY(%s)", [TAXONOMY, categories])}
        errors += [RowError("request", 0, "categories", f"unknown category {c!r}")
                   for c in categories if c not in known]
    if stages:
        known = {r["code"] for r in conn.execute(
            "SELECT code FROM landscape_stage WHERE code = ANY(%s)", [stages])}
        errors += [RowError("request", 0, "stages", f"unknown stage {s!r}") for s in stages if s not in known]
    if errors:
        raise ValidationFailed(errors)


def _check_live(conn: Connection, entity: str, ids: list[str], field: str) -> None:
    """References must point at records that exist and are not retired."""
    table = sql.Identifier(entity)
    found = {r["id"] for r in conn.execute(
        sql.SQL("SELECT id FROM {} WHERE id = ANY(%s) AND retired_at IS NULL").format(table), [ids])}
    missing = [i for i in ids if i not in found]
    if missing:
        raise _invalid(field, f"no active {entity} {missing[0]!r}")


def _set_columns(conn: Connection, entity: str, record_id: str, fields: dict[str, Any]) -> None:
    cols = {k: v for k, v in fields.items() if k in COLUMNS[entity] or k == "retired_at"}
    for k, v in cols.items():
        if v is None and k in NOT_NULL[entity]:
            raise _invalid(k, "cannot be empty")
    assignments: list[sql.Composable] = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in cols]
    assignments.append(sql.SQL("updated_at = now()"))
    conn.execute(
        sql.SQL("UPDATE {} SET {} WHERE id = %s").format(sql.Identifier(entity), sql.SQL(", ").join(assignments)),
        [*cols.values(), record_id],
    )


def _place(conn: Connection, location_id: str, latitude: float, longitude: float) -> None:
    """Point, coordinates and county together, the way the loaders' overlay assigns them."""
    county = county_at(conn, longitude, latitude)
    if county is None:
        raise _invalid("latitude", "the point is not in (or within 5 km of) any US county")
    conn.execute(
        """UPDATE location SET latitude = %(lat)s, longitude = %(lon)s,
               geom = ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), county_fips = %(county)s
           WHERE id = %(id)s""",
        {"lat": latitude, "lon": longitude, "county": county, "id": location_id},
    )


def _check_in_state(conn: Connection, location_id: str) -> None:
    """A site's point must be in the state its address names: the importer's rule, so an edit
    cannot place what an import would reject."""
    row = conn.execute(
        """SELECT l.latitude, l.longitude, a.state_province FROM location l
           JOIN address a ON a.location_id = l.id
           WHERE l.id = %s AND l.geom IS NOT NULL AND a.state_province <> ''""", [location_id]).fetchone()
    if row is not None:
        reason = state_problem(StateShapes(conn), row["state_province"], float(row["latitude"]),
                               float(row["longitude"]))
        if reason:
            raise _invalid("latitude", reason)


def _set_address(conn: Connection, location_id: str, address: dict | None) -> None:
    conn.execute("DELETE FROM address WHERE location_id = %s", [location_id])
    if address:
        conn.execute(
            """INSERT INTO address (location_id, address_1, address_2, city, state_province, postal_code)
               VALUES (%s, %s, %s, %s, %s, %s)""",
            [location_id, address["address_1"], address.get("address_2"), address["city"],
             address["state_province"], address["postal_code"]],
        )


def _set_service_links(conn: Connection, service_id: str, fields: dict[str, Any]) -> None:
    """Categories, stages, languages, phones and locations: each list replaces what was there."""
    if fields.get("categories") is not None:
        conn.execute(
            """DELETE FROM attribute a USING taxonomy_term t
               WHERE a.taxonomy_term_id = t.id AND t.taxonomy = %s
                 AND a.link_entity = 'service' AND a.link_id = %s""",
            [TAXONOMY, service_id],
        )
        for code in dict.fromkeys(fields["categories"]):
            conn.execute(
                """INSERT INTO attribute (link_id, taxonomy_term_id, link_entity, label)
                   VALUES (%s, %s, 'service', 'category')""",
                [service_id, term_id(code)],
            )
    if fields.get("stages") is not None:
        conn.execute("DELETE FROM service_stage WHERE service_id = %s", [service_id])
        for stage in dict.fromkeys(fields["stages"]):
            conn.execute("INSERT INTO service_stage (service_id, stage_code) VALUES (%s, %s)", [service_id, stage])
    if fields.get("languages") is not None:
        conn.execute("DELETE FROM language WHERE service_id = %s", [service_id])
        for code in dict.fromkeys(fields["languages"]):
            conn.execute("INSERT INTO language (service_id, code, name) VALUES (%s, %s, %s)",
                         [service_id, code, find_language(code).name])
    if fields.get("phones") is not None:
        conn.execute("DELETE FROM phone WHERE service_id = %s", [service_id])
        for text in dict.fromkeys(fields["phones"]):
            phone = parse_phone(text)
            conn.execute("INSERT INTO phone (service_id, number, extension, type) VALUES (%s, %s, %s, %s)",
                         [service_id, phone.number, phone.extension, phone.type])
    if fields.get("location_ids") is not None:
        wanted = list(dict.fromkeys(fields["location_ids"]))
        conn.execute("DELETE FROM service_at_location WHERE service_id = %s AND NOT location_id = ANY(%s)",
                     [service_id, wanted])
        for location_id in wanted:
            conn.execute(
                """INSERT INTO service_at_location (service_id, location_id) VALUES (%s, %s)
                   ON CONFLICT (service_id, location_id) DO NOTHING""",
                [service_id, location_id],
            )
    if fields.get("hours") is not None:
        _set_hours(conn, service_id, fields["hours"])


def _set_hours(conn: Connection, service_id: str, hours: list[dict[str, Any]]) -> None:
    """The service's schedules, replaced; ids as imports write them, in the order given, and the
    time zone of its first location's ZIP code (as imports take it) so open-now keeps DST right."""
    row = conn.execute(
        """SELECT a.postal_code FROM service_at_location sal JOIN address a ON a.location_id = sal.location_id
           WHERE sal.service_id = %s AND a.postal_code IS NOT NULL ORDER BY sal.location_id, a.id LIMIT 1""",
        [service_id]).fetchone()
    tz = zip_timezone(row["postal_code"]) if row else None
    conn.execute("DELETE FROM schedule WHERE service_id = %s AND opens_at IS NOT NULL", [service_id])
    for i, h in enumerate(hours):
        conn.execute(
            """INSERT INTO schedule (id, service_id, freq, byday, bymonthday, opens_at, closes_at, tz_name,
                                     valid_from, valid_to, description)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            [f"{service_id}:schedule:{i:04d}", service_id, h["freq"], h["byday"], h.get("bymonthday") or None,
             h["opens_at"], h["closes_at"], tz, h.get("valid_from"), h.get("valid_to"), h.get("description")])


def _apply(conn: Connection, entity: str, record_id: str, fields: dict[str, Any]) -> None:
    """Write a validated patch (or a restored snapshot) to one record and the rows that hang off it."""
    if fields.get("organization_id") is not None:
        _check_live(conn, "organization", [fields["organization_id"]], "organization_id")
    if entity == "service":
        _check_codes(conn, fields.get("categories"), fields.get("stages"))
        if fields.get("location_ids") is not None:
            _check_live(conn, "location", fields["location_ids"], "location_ids")
    _set_columns(conn, entity, record_id, fields)
    if entity == "location":
        if fields.get("latitude") is not None:
            _place(conn, record_id, fields["latitude"], fields["longitude"])
        if "address" in fields:
            _set_address(conn, record_id, fields["address"])
        if fields.get("latitude") is not None or fields.get("address"):
            _check_in_state(conn, record_id)
    if entity == "service":
        _set_service_links(conn, record_id, fields)


def _insert(conn: Connection, entity: str) -> str:
    """A bare row with a fresh id; _apply fills it in (so create and update share one path)."""
    if entity == "organization":
        row = conn.execute("INSERT INTO organization (name) VALUES ('') RETURNING id").fetchone()
    elif entity == "location":
        row = conn.execute("INSERT INTO location DEFAULT VALUES RETURNING id").fetchone()
    else:
        raise ValueError(entity)
    assert row is not None
    return row["id"]


def _create_simple(conn: Connection, key: ApiKey, entity: str, fields: dict[str, Any]) -> dict:
    _check_references(conn, key, fields)
    record_id = _insert(conn, entity)
    _apply(conn, entity, record_id, fields)
    if entity == "location":
        _check_scope(conn, key, entity, record_id)
    after = _existing(conn, entity, record_id)
    audit.record(conn, key, "create", entity, record_id, None, after)
    return after


def create_organization(conn: Connection, key: ApiKey, data: OrganizationIn) -> dict:
    """Any editor may add an organization: it is placed nowhere until it has a location."""
    with conn.transaction():
        return _create_simple(conn, key, "organization", data.model_dump())


def create_location(conn: Connection, key: ApiKey, data: LocationIn) -> dict:
    with conn.transaction():
        return _create_simple(conn, key, "location", data.model_dump())


def create_service(conn: Connection, key: ApiKey, data: ServiceIn) -> dict:
    """A service with its organization, location, address, phones, categories, stages and
    languages, written as the sample loader writes them; new parts are audited as creates too."""
    with conn.transaction():
        _check_references(conn, key, {"organization_id": data.organization_id, "location_id": data.location_id})
        org_id = data.organization_id
        if data.organization is not None:
            org_id = _create_simple(conn, key, "organization", data.organization.model_dump())["id"]
        location_id = data.location_id
        if data.location is not None:
            location = data.location.model_dump()
            location["organization_id"] = location["organization_id"] or org_id
            try:
                location_id = _create_simple(conn, key, "location", location)["id"]
            except NotAllowed as e:
                raise NotAllowed(f"location: {e}") from None
        assert location_id is not None
        _check_live(conn, "organization", [str(org_id)], "organization_id")
        fields = data.model_dump(exclude={"organization", "location", "location_id"})
        fields.update(organization_id=org_id, location_ids=[location_id])
        _check_codes(conn, fields["categories"], fields["stages"])
        _check_live(conn, "location", [location_id], "location_id")
        row = conn.execute(
            "INSERT INTO service (organization_id, name) VALUES (%s, %s) RETURNING id", [org_id, data.name]
        ).fetchone()
        assert row is not None
        _apply(conn, "service", row["id"], fields)
        _check_scope(conn, key, "service", row["id"])
        after = _existing(conn, "service", row["id"])
        audit.record(conn, key, "create", "service", row["id"], None, after)
        return after


def _sent_fields(patch: BaseModel) -> dict[str, Any]:
    """The fields a patch sent, each dumped whole: only top-level fields are "unset", so a nested
    value keeps its defaults (an hours rule without `freq` is weekly)."""
    whole = patch.model_dump()
    return {name: whole[name] for name in patch.model_fields_set}


def update(conn: Connection, key: ApiKey, entity: str, record_id: str, patch: BaseModel) -> dict:
    """Change only the fields sent; editors must cover the record both before and after."""
    fields = _sent_fields(patch)
    if entity == "location" and "latitude" in fields and fields["latitude"] is None:
        raise _invalid("latitude", "a location keeps its point; retire it instead")
    with conn.transaction():
        before = _existing(conn, entity, record_id, lock=True)
        _check_scope(conn, key, entity, record_id)
        _check_references(conn, key, fields, before)
        if entity == "location" and "latitude" in fields:
            fields.setdefault("longitude", before["longitude"])
        _apply(conn, entity, record_id, fields)
        _check_scope(conn, key, entity, record_id)
        after = _existing(conn, entity, record_id)
        if before != after:
            audit.record(conn, key, "update", entity, record_id, before, after)
        return after


_RETIRE_BLOCKERS = {
    "organization": ("SELECT count(*) AS n FROM service WHERE organization_id = %s AND retired_at IS NULL",
                     "it still has active services: retire or move them first"),
    "location": ("""SELECT count(*) AS n FROM service_at_location sal JOIN service s ON s.id = sal.service_id
                    WHERE sal.location_id = %s AND s.retired_at IS NULL""",
                 "active services are still there: retire or move them first"),
}


def retire(conn: Connection, key: ApiKey, entity: str, record_id: str) -> dict:
    """Soft delete: the record leaves maps and search but stays for the audit trail and restore."""
    with conn.transaction():
        before = _existing(conn, entity, record_id, lock=True)
        _check_scope(conn, key, entity, record_id)
        if before["retired_at"] is not None:
            return before
        if entity in _RETIRE_BLOCKERS:
            query_text, reason = _RETIRE_BLOCKERS[entity]
            row = conn.execute(query_text, [record_id]).fetchone()  # type: ignore[call-overload]
            if row and row["n"]:
                raise BadRequest(f"cannot retire {entity} {record_id!r}: {reason}")
        conn.execute(
            sql.SQL("UPDATE {} SET retired_at = now(), updated_at = now() WHERE id = %s").format(
                sql.Identifier(entity)), [record_id])
        after = _existing(conn, entity, record_id)
        audit.record(conn, key, "retire", entity, record_id, before, after)
        return after


def restore(conn: Connection, key: ApiKey, entity: str, record_id: str, version: int) -> dict:
    """Put a record back as it was after audit entry `version` (un-retiring it if it was live then).
    The restored state is validated again, and the restore is itself audited."""
    with conn.transaction():
        entry = audit.entry(conn, version)
        if entry["entity"] != entity or entry["entity_id"] != record_id:
            raise NotFound(f"audit entry {version} is not a version of {entity} {record_id!r}")
        state = entry["after"]
        if state is None:
            raise BadRequest(f"audit entry {version} has no state to restore")
        before = _existing(conn, entity, record_id, lock=True)
        _check_scope(conn, key, entity, record_id)
        model = PATCH_MODELS[entity]
        editable = {k: v for k, v in state.items() if k in model.model_fields}
        if entity == "location" and editable.get("latitude") is None:
            editable.pop("latitude", None), editable.pop("longitude", None)
        try:
            fields = model.model_validate(editable).model_dump()
        except ValueError as e:
            raise BadRequest(f"audit entry {version} no longer passes validation: {e}") from None
        fields = {k: v for k, v in fields.items() if k in editable}
        fields["retired_at"] = state.get("retired_at")
        _check_references(conn, key, fields, before)
        _apply(conn, entity, record_id, fields)
        _check_scope(conn, key, entity, record_id)
        after = _existing(conn, entity, record_id)
        audit.record(conn, key, "restore", entity, record_id, before, after, restored_from=version)
        return after
