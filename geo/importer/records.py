"""The one shape every import format is read into; the rules a cell must meet are geo.fields."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from geo.errors import RowError
from geo.fields import Hours, Phone

PRECISIONS = ("rooftop", "street", "zip", "place", "county")


@dataclass
class Place:
    """A location with its address; `latitude`/`longitude` as given or as geocoded."""

    source_id: str
    name: str | None = None
    address_1: str | None = None
    city: str | None = None
    state: str | None = None  # postal abbreviation
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    precision: str | None = None
    geocode_source: str | None = None
    confidential: bool = False
    tz_name: str | None = None
    origin: tuple[str, int] | None = None  # (file, line) of the location row, when not the record's

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass
class ServiceArea:
    source_id: str
    name: str | None
    extent: str | None  # GeoJSON text
    extent_type: str | None = "geojson"
    description: str | None = None


@dataclass
class Record:
    """One service as the source describes it, with its organization, places and details."""

    file: str
    line: int
    source_id: str
    name: str
    organization: str
    organization_id: str
    description: str | None = None
    url: str | None = None
    email: str | None = None
    capacity: int | None = None
    minimum_age: float | None = None  # years
    maximum_age: float | None = None
    costs: list[str] = field(default_factory=list)  # cost options: free, sliding scale, insurance
    assured_date: str | None = None  # HSDS: when the listing was last confirmed (YYYY-MM-DD), and by whom
    assurer_email: str | None = None
    confidential: bool = False
    status: str = "active"
    categories: list[str] = field(default_factory=list)  # taxonomy codes
    stages: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # ISO 639 codes (geo.languages)
    phones: list[Phone] = field(default_factory=list)
    hours: list[Hours] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    areas: list[ServiceArea] = field(default_factory=list)
    raw: object = None  # what the input held, written back to the rejects file
    errors: list[RowError] = field(default_factory=list)
    import_hash: str | None = None  # set by readers from the input as given
    # The source a stored record was read back from (exports name records by it); not part of its content.
    source: str = field(default="", compare=False, repr=False)

    def reject(self, field_name: str, reason: str, at: tuple[str, int] | None = None) -> None:
        file, line = at or (self.file, self.line)
        self.errors.append(RowError(file, line, field_name, reason))

    def fingerprint(self) -> str:
        """Hash of everything the source said (not of what we derived), so an unchanged row is
        recognised on re-import even when geocoding would now answer differently."""
        if self.import_hash:
            return self.import_hash
        data = {
            k: v for k, v in _plain(self).items()
            if k not in ("file", "line", "raw", "errors", "import_hash", "source")
        }
        for k in ("minimum_age", "maximum_age", "costs", "assured_date", "assurer_email"):  # hashed only when
            # given, as before they existed
            if data[k] in (None, []):
                del data[k]
        for h in data["hours"]:  # the plain weekly fields alone, as hashed before HSDS seasons and months
            for k in ("freq", "bymonthday", "valid_from", "valid_to", "description", "site"):
                if h[k] in (None, "WEEKLY"):
                    del h[k]
        for p in data["places"]:
            p.pop("origin", None)
            if p["geocode_source"] != "source":
                p.update(latitude=None, longitude=None, precision=None, geocode_source=None)
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass
class Loaded:
    """What a reader produced: the records, and how to write the rejected ones back."""

    format: str
    records: list[Record]
    write_rejects: Callable[[list[Record]], Path]
    notes: list[str] = field(default_factory=list)


def _plain(record: Record) -> dict:
    from dataclasses import asdict

    return asdict(record)
