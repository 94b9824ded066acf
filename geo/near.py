"""Where a family's search starts: turn what they type into a point, offline — `lat,lon`, a 5-digit
ZIP or a place "City, ST", both from the offline gazetteer (geo.gazetteer). Nothing is logged or kept.
"""

from __future__ import annotations

import re

from geo.errors import BadRequest
from geo.gazetteer import Geocoded, place_point, zip_code

LAT_LON = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\s*$")
BARE_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
STATE_AT_END = re.compile(r"^(?P<city>.+?)[,\s]+(?P<state>[A-Za-z]{2})\.?$")
MAX_NEAR_LENGTH = 200
SUGGESTION = "Try a 5-digit ZIP code (for example 65201), a city and state ('Columbia, MO') or 'lat,lon'."


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
        if (z := zip_code(m.group(1))) and z.centroid:
            return z.centroid
        text = text[: m.start()].strip(" ,")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    candidates = []
    if len(parts) >= 2 and re.fullmatch(r"[A-Za-z]{2}\.?", parts[-1]):
        candidates.append((parts[-2], parts[-1]))
    if m := STATE_AT_END.match(parts[-1] if parts else ""):
        candidates.append((m.group("city"), m.group("state")))
    for city, state in candidates:
        if found := place_point(city, state):
            return found
    raise BadRequest(f"Could not find a place for `near`. {SUGGESTION}")


def _zip_point(code: str) -> Geocoded:
    z = zip_code(code)
    if z is None or z.centroid is None:
        raise BadRequest(f"{code} is not a ZIP code we know. {SUGGESTION}")
    return z.centroid
