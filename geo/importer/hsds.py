"""HSDS 3: CSV packages and JSON, read into HSDS tables first (geo.importer.hsds_files), then into
records here, so one set of rules checks them both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import shapely

from geo.errors import RowError
from geo.fields import (
    FieldProblem,
    Hours,
    check_coordinates,
    check_schedule_days,
    check_season,
    day_list,
    parse_assured_date,
    parse_assurer_email,
    parse_coordinate,
    parse_phone,
)
from geo.importer.hsds_files import (
    Row,
    Tables,
    flatten_services,
    read_package,
    service_objects,
    write_json_rejects,
    write_package_rejects,
)
from geo.importer.records import Loaded, Place, Record, ServiceArea
from geo.languages import language_or_none, unknown_language
from geo.vocabulary import Vocabulary

STAGE_TAXONOMY = "upstream-atlas-stages"
FLAG_TAXONOMY = "upstream-atlas-flags"
CONFIDENTIAL_CODE = "confidential"


def _hhmm(value: str) -> str:
    h, _, rest = value.partition(":")
    return f"{int(h):02d}:{int(rest.partition(':')[0] or 0):02d}"


def _schedule_hours(sch: Row) -> Hours:
    """An HSDS schedule row with opening times: weekly or monthly, in season or all year."""
    freq = (sch.get("freq") or "WEEKLY").strip().upper()
    byday, bymonthday = day_list(sch.get("byday")), day_list(sch.get("bymonthday")) or None
    check_schedule_days(freq, byday, bymonthday)
    try:
        opens, closes = _hhmm(sch.get("opens_at")), _hhmm(sch.get("closes_at") or "23:59")
        time.fromisoformat(opens), time.fromisoformat(closes)
    except ValueError:
        raise FieldProblem("opens_at", "opens_at/closes_at are not times (HH:MM)") from None
    season: dict[str, date | None] = {}
    for name in ("valid_from", "valid_to"):
        value = sch.get(name)
        try:
            season[name] = date.fromisoformat(value) if value else None
        except ValueError:
            raise FieldProblem(name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    valid_from, valid_to = season["valid_from"], season["valid_to"]
    check_season(valid_from, valid_to)
    return Hours(byday, opens, closes, freq, bymonthday, valid_from.isoformat() if valid_from else None,
                 valid_to.isoformat() if valid_to else None, sch.get("description") or None)


def _make_valid_area(extent: str) -> tuple[str | None, str | None, str | None]:
    """(GeoJSON of a valid polygonal area, note when it had to be repaired, reason when unusable)."""
    try:
        geom = shapely.from_geojson(extent)
    except Exception:  # noqa: BLE001 - shapely raises GEOSException for any malformed GeoJSON
        return None, None, f"{extent[:60]!r} is not GeoJSON geometry (give a Polygon or MultiPolygon in GeoJSON)"
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None, None, f"is a {geom.geom_type}, not a Polygon or MultiPolygon"
    note = None
    if not geom.is_valid:
        why = shapely.is_valid_reason(geom)
        fixed = shapely.make_valid(geom)
        polys = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(polys) if polys else None
        if fixed is None or fixed.is_empty or fixed.area == 0:
            return None, None, f"is an invalid polygon that cannot be repaired ({why})"
        geom, note = fixed, f"invalid polygon ({why}) was made valid"
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    if not -180 <= geom.bounds[0] <= geom.bounds[2] <= 180 or not -90 <= geom.bounds[1] <= geom.bounds[3] <= 90:
        return None, None, "has coordinates outside longitude/latitude range (expected WGS 84)"
    return shapely.to_geojson(geom), note, None


def _linked_rows(tables: Tables, table: str) -> Callable[[str, list[Row]], list[tuple[Row, str | None]]]:
    """A service's rows of `table` (phones, schedules), each with the location it is for: those
    naming the service (None: all its locations), its service at a location or that location (the
    location's id). HSDS hangs them off any of the three; a location's are every service's there."""
    by_service = tables.by(table, "service_id")
    by_sal = tables.by(table, "service_at_location_id")
    by_location = tables.by(table, "location_id")

    def rows(service_id: str, sals: list[Row]) -> list[tuple[Row, str | None]]:
        if not service_id:
            return []
        return [*((r, _site(r, sals)) for r in by_service.get(service_id, [])),
                *((r, sal.get("location_id") or None) for sal in sals if sal.get("id")
                  for r in by_sal.get(sal.get("id"), []) if not r.get("service_id")),
                *((r, sal.get("location_id")) for sal in sals if sal.get("location_id")
                  for r in by_location.get(sal.get("location_id"), [])
                  if not r.get("service_id") and not r.get("service_at_location_id"))]

    return rows


def _site(row: Row, sals: list[Row]) -> str | None:
    """The location a row naming its service is for: that of the service at a location it also
    names, or the location it also names; None: the service's, everywhere."""
    if row.get("service_at_location_id"):
        for sal in sals:
            if sal.get("id") == row.get("service_at_location_id") and sal.get("location_id"):
                return sal.get("location_id")
    return row.get("location_id") or None


def _language_codes(rows: list[Row], errors: list[RowError]) -> list[str]:
    """ISO 639 codes of a service's language rows: the code when it is one, else the name; a row
    naming no language is an error at its line."""
    codes: list[str] = []
    for row in rows:
        code, name = row.get("code"), row.get("name")
        if not code and not name:
            continue
        found = language_or_none(code) or language_or_none(name)
        if found is None:
            field_name, value = ("code", code) if code else ("name", name)
            errors.append(row.error(field_name, unknown_language(value)))
            continue
        if found.code not in codes:
            codes.append(found.code)
    return codes


def records_from_tables(tables: Tables, vocab: Vocabulary, notes: list[str]) -> list[Record]:
    orgs = {r.get("id"): r for r in tables.rows.get("organizations", [])}
    locations = {r.get("id"): r for r in tables.rows.get("locations", [])}
    terms = {r.get("id"): r for r in tables.rows.get("taxonomy_terms", [])}
    sal_by_service = tables.by("service_at_location", "service_id")
    addresses = tables.by("addresses", "location_id")
    phones = _linked_rows(tables, "phones")
    schedules = _linked_rows(tables, "schedules")
    languages = tables.by("languages", "service_id")
    attributes = tables.by("attributes", "link_id")
    areas = tables.by("service_areas", "service_id")
    seen: dict[str, Row] = {}
    ignored_terms: set[str] = set()
    records = []
    for row in tables.rows.get("services", []):
        sid, org_id = row.get("id"), row.get("organization_id")
        org = orgs.get(org_id)
        record = Record(row.file, row.line, sid, row.get("name"),
                        org.get("name") if org else "", org_id, raw=row)
        record.description = row.get("description") or None
        record.url = row.get("url") or None
        record.email = row.get("email") or None
        for name, parse in (("assured_date", parse_assured_date), ("assurer_email", parse_assurer_email)):
            try:
                setattr(record, name, parse(name, row.get(name)))
            except FieldProblem as p:
                record.reject(p.field_name, p.reason)
        record.status = row.get("status") or "active"
        if not sid:
            record.reject("id", "is required and empty")
        elif sid in seen:
            record.reject("id", f"duplicate id {sid!r} (first on {seen[sid].file} line {seen[sid].line})")
        else:
            seen[sid] = row
        if not record.name:
            record.reject("name", "is required and empty")
        if not org_id:
            record.reject("organization_id", "is required and empty")
        elif org is None:
            record.reject("organization_id", f"no organization with id {org_id!r}")
        elif not record.organization:
            record.errors.append(org.error("name", "is required and empty"))
        if record.status not in ("active", "inactive", "defunct", "temporarily closed"):
            record.reject("status", f"{record.status!r} is not active, inactive, defunct or temporarily closed")
        for att in attributes.get(sid, []):
            if att.get("link_entity") not in ("", "service"):
                continue
            term = terms.get(att.get("taxonomy_term_id"))
            if term is None:
                record.errors.append(att.error("taxonomy_term_id",
                                              f"no taxonomy term with id {att.get('taxonomy_term_id')!r}"))
                continue
            taxonomy = term.get("taxonomy")
            word = term.get("code") or term.get("name")
            if taxonomy == FLAG_TAXONOMY and term.get("code") == CONFIDENTIAL_CODE:
                record.confidential = True
            elif taxonomy == STAGE_TAXONOMY:
                code = vocab.stage(word) or vocab.stage(term.get("name"))
                if code is None:
                    record.errors.append(term.error("code", f"unknown stage {word!r}"))
                elif code not in record.stages:
                    record.stages.append(code)
            elif taxonomy in ("", "upstream-atlas") or vocab.category(word) or vocab.category(term.get("name")):
                code = vocab.category(word) or vocab.category(term.get("name"))
                if code is None:
                    record.errors.append(term.error("code", f"unknown category {word!r}"))
                elif code not in record.categories:
                    record.categories.append(code)
            else:
                ignored_terms.add(f"{taxonomy}:{word}")
        own_sals = sal_by_service.get(sid, [])
        for ph, _ in phones(sid, own_sals):  # a phone is the service's, wherever it was given
            try:
                phone = parse_phone(ph.get("number"))
            except FieldProblem as p:
                record.errors.append(ph.error("number", p.reason))
                continue
            phone.extension = ph.get("extension") or phone.extension
            phone.type = ph.get("type") or None
            if all((phone.number, phone.extension) != (p.number, p.extension) for p in record.phones):
                record.phones.append(phone)
        for sch, site in schedules(sid, own_sals):
            if not sch.get("opens_at"):
                continue  # free-text schedules ("call for hours") carry no opening hours
            try:
                hours = replace(_schedule_hours(sch), site=site)
            except FieldProblem as p:
                record.errors.append(sch.error(p.field_name, p.reason))
                continue
            if hours not in record.hours:  # the same rule given twice for one place counts once
                record.hours.append(hours)
        record.languages = _language_codes(languages.get(sid, []), record.errors)
        for sal in sal_by_service.get(sid, []):
            loc = locations.get(sal.get("location_id"))
            if loc is None:
                record.errors.append(sal.error("location_id",
                                              f"no location with id {sal.get('location_id')!r}"))
                continue
            record.places.append(_place(record, loc, addresses.get(loc.get("id"), []), vocab))
        for area in areas.get(sid, []):
            extent: str | None = None
            note: str | None = None
            reason: str | None = None
            if area.get("extent") and area.get("extent_type").lower() in ("", "geojson"):
                extent, note, reason = _make_valid_area(area.get("extent"))
            if reason:
                record.errors.append(area.error("extent", reason))
                continue
            if note:
                notes.append(f"{area.file}:{area.line}: extent: {note}")
            record.areas.append(ServiceArea(area.get("id"), area.get("name") or None, extent or None,
                                            "geojson" if extent else (area.get("extent_type") or None),
                                            area.get("description") or None))
        record.import_hash = None
        records.append(record)
    if ignored_terms:
        notes.append(f"ignored {len(ignored_terms)} taxonomy terms outside the Upstream Atlas taxonomy: "
                     + ", ".join(sorted(ignored_terms)[:5]) + (" …" if len(ignored_terms) > 5 else ""))
    return records


def _place(record: Record, loc: Row, addresses: list[Row], vocab: Vocabulary) -> Place:
    physical = [a for a in addresses if a.get("address_type") in ("", "physical")] or addresses
    adr = physical[0] if physical else None
    place = Place(loc.get("id"), name=loc.get("name") or None, confidential=record.confidential,
                  origin=(loc.file, loc.line))
    if adr is not None:
        place.address_1 = adr.get("address_1") or None
        place.city = adr.get("city") or None
        place.postal_code = adr.get("postal_code")[:5] or None
        if adr.get("state_province"):
            place.state = vocab.state(adr.get("state_province"))
            if place.state is None:
                record.errors.append(adr.error("state_province",
                                              f"unknown state {adr.get('state_province')!r}"))
    try:
        lat = parse_coordinate("latitude", loc.get("latitude"))
        lon = parse_coordinate("longitude", loc.get("longitude"))
        check_coordinates(lat, lon)
    except FieldProblem as p:
        record.errors.append(loc.error(p.field_name, p.reason))
        return place
    if lat is not None and lon is not None:
        place.latitude, place.longitude = lat, lon
        place.precision, place.geocode_source = "rooftop", "source"
    return place


# --- loaders -------------------------------------------------------------------------------

def load_package(path: Path, vocab: Vocabulary) -> Loaded:
    tables = read_package(path)
    notes: list[str] = []
    records = records_from_tables(tables, vocab, notes)
    return Loaded("hsds csv package", records, lambda rejected: write_package_rejects(path, tables, rejected),
                  notes)


def load_json(path: Path, vocab: Vocabulary) -> Loaded:
    items = service_objects(path)
    tables = flatten_services(path, items)
    notes: list[str] = []
    records = records_from_tables(tables, vocab, notes)
    by_line = dict(items)
    for r in records:
        r.raw = by_line.get(r.line)
    return Loaded("hsds json", records, lambda rejected: write_json_rejects(path, rejected), notes)
