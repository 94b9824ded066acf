"""What the editing API accepts: request models for organizations, locations and services, each
field checked by the importer's rules (geo.fields) so an edit cannot write what an import would refuse."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from geo.fields import (
    FieldProblem,
    check_coordinates,
    check_schedule_days,
    check_season,
    day_list,
    parse_phone,
)
from geo.languages import find_language

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
# A category or stage by code or name (English or Spanish), as imports take them (geo.vocabulary).
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _Clean]
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


PATCH_MODELS: dict[str, type[BaseModel]] = {
    "organization": OrganizationPatch, "location": LocationPatch, "service": ServicePatch,
}
