"""Writes of the editing API: validated drafts become the same rows the loaders write, each change
with its region checks and its audit row.

Every write runs in one transaction: the change, the editor's region check on the record as it was
and as it will be (and on the records it points at), and the audit row. Any failure (a bad
category, a region outside the key's, the database going away) rolls all of it back, so no change
is ever half-applied.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql
from pydantic import BaseModel

from geo import audit
from geo.db import Connection
from geo.edits.access import check_references, check_scope
from geo.edits.schemas import PATCH_MODELS, LocationIn, OrganizationIn, ServiceIn
from geo.edits.snapshot import existing
from geo.errors import BadRequest, NotFound, RowError, ValidationFailed
from geo.fields import parse_phone
from geo.gazetteer import zip_timezone
from geo.geocode import StateShapes, state_problem
from geo.ids import child_id
from geo.keys import ApiKey, NotAllowed
from geo.languages import find_language
from geo.overlay import county_at
from geo.taxonomy import TAXONOMY, term_id
from geo.vocabulary import Vocabulary

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


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed([RowError("request", 0, field, reason)])


def _normalise_codes(conn: Connection, fields: dict[str, Any]) -> None:
    """Categories and stages by code or name, normalised to the codes the taxonomy (data/taxonomy/*.csv)
    knows, by the vocabulary imports use; any unknown one is an error naming it."""
    vocabulary = Vocabulary.load(conn)
    errors = []
    for field, lookup, word in (("categories", vocabulary.category, "category"),
                                ("stages", vocabulary.stage, "stage")):
        if fields.get(field) is None:
            continue
        codes = [lookup(value) for value in fields[field]]
        errors += [RowError("request", 0, field, f"unknown {word} {value!r}")
                   for value, code in zip(fields[field], codes, strict=True) if code is None]
        fields[field] = [c for c in codes if c is not None]
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
        for i, code in enumerate(dict.fromkeys(fields["categories"])):
            conn.execute(
                """INSERT INTO attribute (id, link_id, taxonomy_term_id, link_entity, label)
                   VALUES (%s, %s, %s, 'service', 'category')""",
                [child_id(service_id, "category", i), service_id, term_id(code)],
            )
    if fields.get("stages") is not None:
        conn.execute("DELETE FROM service_stage WHERE service_id = %s", [service_id])
        for stage in dict.fromkeys(fields["stages"]):
            conn.execute("INSERT INTO service_stage (service_id, stage_code) VALUES (%s, %s)", [service_id, stage])
    if fields.get("languages") is not None:
        conn.execute("DELETE FROM language WHERE service_id = %s", [service_id])
        for i, code in enumerate(dict.fromkeys(fields["languages"])):
            conn.execute("INSERT INTO language (id, service_id, code, name) VALUES (%s, %s, %s, %s)",
                         [child_id(service_id, "language", i), service_id, code, find_language(code).name])
    if fields.get("phones") is not None:
        conn.execute("DELETE FROM phone WHERE service_id = %s", [service_id])
        for i, text in enumerate(dict.fromkeys(fields["phones"])):
            phone = parse_phone(text)
            conn.execute("INSERT INTO phone (id, service_id, number, extension, type) VALUES (%s, %s, %s, %s, %s)",
                         [child_id(service_id, "phone", i), service_id, phone.number, phone.extension, phone.type])
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
            [child_id(service_id, "schedule", i), service_id, h["freq"], h["byday"], h.get("bymonthday") or None,
             h["opens_at"], h["closes_at"], tz, h.get("valid_from"), h.get("valid_to"), h.get("description")])


def _apply(conn: Connection, entity: str, record_id: str, fields: dict[str, Any]) -> None:
    """Write a validated patch (or a restored snapshot) to one record and the rows that hang off it."""
    if fields.get("organization_id") is not None:
        _check_live(conn, "organization", [fields["organization_id"]], "organization_id")
    if entity == "service":
        _normalise_codes(conn, fields)
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
    check_references(conn, key, fields)
    record_id = _insert(conn, entity)
    _apply(conn, entity, record_id, fields)
    if entity == "location":
        check_scope(conn, key, entity, record_id)
    after = existing(conn, entity, record_id)
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
        check_references(conn, key, {"organization_id": data.organization_id, "location_id": data.location_id})
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
        _normalise_codes(conn, fields)
        _check_live(conn, "location", [location_id], "location_id")
        row = conn.execute(
            "INSERT INTO service (organization_id, name) VALUES (%s, %s) RETURNING id", [org_id, data.name]
        ).fetchone()
        assert row is not None
        _apply(conn, "service", row["id"], fields)
        check_scope(conn, key, "service", row["id"])
        after = existing(conn, "service", row["id"])
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
        before = existing(conn, entity, record_id, lock=True)
        check_scope(conn, key, entity, record_id)
        check_references(conn, key, fields, before)
        if entity == "location" and "latitude" in fields:
            fields.setdefault("longitude", before["longitude"])
        _apply(conn, entity, record_id, fields)
        check_scope(conn, key, entity, record_id)
        after = existing(conn, entity, record_id)
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
        before = existing(conn, entity, record_id, lock=True)
        check_scope(conn, key, entity, record_id)
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
        after = existing(conn, entity, record_id)
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
        before = existing(conn, entity, record_id, lock=True)
        check_scope(conn, key, entity, record_id)
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
        check_references(conn, key, fields, before)
        _apply(conn, entity, record_id, fields)
        check_scope(conn, key, entity, record_id)
        after = existing(conn, entity, record_id)
        audit.record(conn, key, "restore", entity, record_id, before, after, restored_from=version)
        return after
