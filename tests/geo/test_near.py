"""`near` parsing, offline: coordinates, ZIP centroids, "City, ST" places; a ZIP suggested otherwise."""

from __future__ import annotations

import pytest

from geo.errors import BadRequest
from geo.near import geocode_near


def test_coordinates_are_taken_as_lat_lon():
    g = geocode_near(" 38.95, -92.33 ")
    assert (g.latitude, g.longitude, g.precision) == (38.95, -92.33, "point")


def test_a_zip_gives_its_centroid():
    columbia = geocode_near("65201")
    assert columbia.precision == "zip" and abs(columbia.latitude - 38.94) < 0.05
    assert abs(columbia.longitude + 92.30) < 0.05
    assert geocode_near("64106-1234").precision == "zip"


def test_places_and_addresses_resolve_to_the_town():
    kc = geocode_near("Kansas City, MO")
    assert kc.precision == "place" and abs(kc.longitude + 94.58) < 0.05  # Missouri's, not Kansas's
    assert abs(geocode_near("kansas city ks").longitude + 94.63) < 0.05
    assert abs(geocode_near("St. Louis, MO").latitude - 38.63) < 0.05
    assert geocode_near("123 Main St, Boston, MA 02108").precision == "zip"
    assert geocode_near("500 Elm St, Springfield, MA").precision == "place"


@pytest.mark.parametrize("near", ["St. Louis, MO", "St Louis, MO", "Saint Louis, MO", "saint louis mo",
                                  "St. Louis MO"])
def test_st_louis_is_found_however_saint_is_spelled(near):
    g = geocode_near(near)
    assert g.precision == "place" and (g.latitude, g.longitude) == pytest.approx((38.627, -90.198), abs=0.01)


@pytest.mark.parametrize("near", ["St. Charles, MO", "St Charles MO", "Saint Charles, MO"])
def test_saint_charles_is_found_however_saint_is_spelled(near):
    """GeoNames spells this one "Saint Charles", St. Louis "St. Louis": both directions work."""
    assert geocode_near(near).latitude == pytest.approx(38.784, abs=0.01)


@pytest.mark.parametrize("near", ["", "nowhere at all", "Atlantis, ZZ", "00000", "91.0,10.0", "x" * 300])
def test_what_cannot_be_placed_is_refused_with_a_zip_suggestion(near):
    with pytest.raises(BadRequest) as info:
        geocode_near(near)
    assert "ZIP" in str(info.value) or "latitude" in str(info.value)
