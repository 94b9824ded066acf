"""The offline gazetteer: one place-name normalisation, so every spelling of a saint finds its town."""

from __future__ import annotations

import pytest

from geo.gazetteer import normalise_place, place_point, zip_code, zip_timezone


@pytest.mark.parametrize(("name", "normal"), [
    ("St. Louis", "saint louis"), ("St Louis", "saint louis"), ("Saint Louis", "saint louis"),
    ("  ST.LOUIS ", "saint louis"), ("Port St. Lucie", "port saint lucie"),
    ("Ste. Genevieve", "sainte genevieve"), ("Stone", "stone"), ("East St Louis", "east saint louis"),
])
def test_saint_is_spelled_one_way(name, normal):
    assert normalise_place(name) == normal


@pytest.mark.parametrize("city", ["St. Louis", "St Louis", "Saint Louis", "saint louis"])
def test_st_louis_under_every_spelling(city):
    """GeoNames spells it "St. Louis"."""
    found = place_point(city, "MO")
    assert found is not None and found.precision == "place"
    assert (found.latitude, found.longitude) == pytest.approx((38.627, -90.198), abs=0.01)


@pytest.mark.parametrize("city", ["St. Charles", "St Charles", "Saint Charles"])
def test_st_charles_under_every_spelling(city):
    """GeoNames spells it "Saint Charles": the other way round."""
    found = place_point(city, "mo")
    assert found is not None and found.latitude == pytest.approx(38.784, abs=0.01)


def test_zip_codes_carry_state_county_time_zone_and_centroid():
    z = zip_code("65201")
    assert z is not None and (z.state, z.county, z.timezone) == ("MO", "Boone County", "America/Chicago")
    assert z.centroid is not None and z.centroid.precision == "zip"
    assert zip_code("00000") is None and zip_code(None) is None
    assert zip_timezone("02108") == "America/New_York" and zip_timezone(None) is None
