"""Where a family's search starts: turn what they type into a point — `lat,lon`, a 5-digit ZIP, a
place ("Kansas City, MO", "Saint Louis, Missouri", or "Kansas City" alone, found in the states the
atlas covers) from the offline gazetteer (geo.gazetteer), or a street address through an online
geocoder the caller hands in (this module makes no network call). Nothing is logged or kept.

The answer says what distances are measured from (`Origin.label`), so a page can tell a family
"from the centre of ZIP 64106" instead of implying the distance is from their door.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from geo.errors import BadRequest
from geo.gazetteer import Geocoded, Place, place_named, places_named, zip_code
from geo.states import state_abbr_of, state_names_longest_first

LAT_LON = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\s*$")
BARE_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
STATE_AT_END = re.compile(r"^(?P<city>.+?)[,\s]+(?P<state>[A-Za-z]{2})\.?$")
# "1600 Main St", "12B Elm Road": a house number, then a street name.
STREET = re.compile(r"^\s*\d+[A-Za-z]?\s+[A-Za-z]")
MAX_NEAR_LENGTH = 200
MAX_CHOICES = 5
SUGGESTION = "Try a 5-digit ZIP code (for example 65201), a city and state ('Columbia, MO') or 'lat,lon'."
# The online geocoder's answer is used only when it is this precise; a town's centre we have offline.
STREET_PRECISION = ("rooftop", "street")

OnlineGeocoder = Callable[[str], Geocoded | None]


@dataclass(frozen=True)
class Origin:
    """A search's starting point. `kind`: "point" (coordinates), "street" (an online geocoder
    placed the address), "zip" or "place" (a centre: distances are approximate); `label` names the
    ZIP or place for "from the centre of …"; `street_ignored` when an address was typed but only
    its town or ZIP could be placed."""

    point: Geocoded
    kind: str
    label: str = ""
    state: str | None = None
    street_ignored: bool = False

    @property
    def approximate(self) -> bool:
        return self.kind in ("zip", "place")


class NearProblem(BadRequest):
    """Why `near` could not be placed. `reason` (empty, too_long, coordinates, unknown_zip,
    street_only, unknown_place, choose, outside) lets a page say it in its own words and language;
    `choices` are the places a name without a state could mean; `state` where the place is."""

    def __init__(self, reason: str, message: str, *, text: str = "",
                 choices: tuple[Place, ...] = (), state: str | None = None):
        super().__init__(message)
        self.reason, self.text, self.choices, self.state = reason, text, choices, state


def geocode_near(near: str, *, covered: Collection[str] = (), online: OnlineGeocoder | None = None) -> Geocoded:
    """`near` as a point; a BadRequest that suggests a ZIP when it cannot be placed."""
    return place_near(near, covered=covered, online=online).point


def place_near(near: str, *, covered: Collection[str] = (), online: OnlineGeocoder | None = None) -> Origin:
    """`near` as an Origin. `covered` are the states (postal codes) the atlas serves: a place named
    without a state is looked for there first; `online` places street addresses when configured
    (its failures and imprecise answers fall back to the offline gazetteer)."""
    text = " ".join((near or "").split())
    if not text:
        raise NearProblem("empty", f"`near` is empty. {SUGGESTION}")
    if len(text) > MAX_NEAR_LENGTH:
        raise NearProblem("too_long", f"`near` is too long (at most {MAX_NEAR_LENGTH} characters). {SUGGESTION}")
    if m := LAT_LON.match(text):
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise NearProblem("coordinates", "`near` as 'lat,lon' needs a latitude from -90 to 90 and a "
                              "longitude from -180 to 180.")
        return Origin(Geocoded(lat, lon, "point", "coordinates"), "point")
    if m := BARE_ZIP.match(text):
        return _zip_origin(m.group(1), text)
    has_street = bool(STREET.match(text))
    if has_street and online is not None:
        found = online(text)
        if found is not None and found.precision in STREET_PRECISION:
            return Origin(found, "street")
    # An address or place: "Columbia, MO", "Columbia MO 65201", "123 Main St, Columbia, MO".
    if m := ZIP.search(text):
        if (z := zip_code(m.group(1))) and z.centroid:
            return Origin(z.centroid, "zip", f"ZIP {z.code}", z.state, street_ignored=has_street)
        text = text[: m.start()].strip(" ,")
    place = _place_with_state(text) or _place_without_state(text, covered)
    if place is not None:
        return Origin(place.point, "place", f"{place.name}, {place.state}", place.state, street_ignored=has_street)
    if has_street and "," not in text:
        raise NearProblem("street_only", "Add the town and state or the ZIP code to a street address "
                          f"('1600 Main St, Kansas City, MO'). {SUGGESTION}", text=text)
    raise NearProblem("unknown_place", f"Could not find a place for `near`. {SUGGESTION}", text=text)


def _zip_origin(code: str, text: str) -> Origin:
    z = zip_code(code)
    if z is None or z.centroid is None:
        raise NearProblem("unknown_zip", f"{code} is not a ZIP code we know. {SUGGESTION}", text=code)
    return Origin(z.centroid, "zip", f"ZIP {z.code}", z.state)


def _place_with_state(text: str) -> Place | None:
    """'City, ST', 'City ST', 'City, State Name' or 'City State Name'; the city is the last part
    before the state, so a street in front ('123 Main St, Columbia, MO') does not matter."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    candidates: list[tuple[str, str]] = []
    if len(parts) >= 2 and (state := state_abbr_of(parts[-1])):
        candidates.append((parts[-2], state))
    last = parts[-1] if parts else ""
    if m := STATE_AT_END.match(last):
        if state := state_abbr_of(m.group("state")):
            candidates.append((m.group("city"), state))
    lowered = last.lower()
    for name, abbr in state_names_longest_first():
        if lowered.endswith(" " + name):
            candidates.append((last[: -len(name)].strip(" ,"), abbr))
            break
    for city, state in candidates:
        if city and (found := place_named(city, state)):
            return found
    return None


def _place_without_state(text: str, covered: Collection[str]) -> Place | None:
    """A place typed without its state: the one of that name in a covered state; several are a
    choice for the family to make; one only elsewhere is named with its state."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or STREET.match(parts[-1]):
        return None
    found = places_named(parts[-1])
    if not found:
        return None
    here = [p for p in found if p.state in covered] if covered else found
    if len(here) == 1:
        return here[0]
    if len(here) > 1:
        names = " or ".join(f"{p.name}, {p.state}" for p in here[:MAX_CHOICES])
        raise NearProblem("choose", f"{parts[-1]!r} is in more than one state: {names}. Add the state.",
                          text=parts[-1], choices=tuple(here[:MAX_CHOICES]))
    raise NearProblem("outside", f"{found[0].name} is in {found[0].state}; this atlas covers "
                      f"{', '.join(sorted(covered))}.", text=parts[-1], state=found[0].state)
