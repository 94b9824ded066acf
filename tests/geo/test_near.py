"""`near` parsing, offline: coordinates, ZIP centroids, "City, ST" places; a ZIP suggested otherwise."""

from __future__ import annotations

import pytest

from geo.errors import BadRequest
from geo.gazetteer import Geocoded
from geo.near import NearProblem, geocode_near, place_near


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


COVERED = ("MA", "MO")


def test_a_place_without_a_state_is_found_in_the_covered_states():
    kc = place_near("Kansas City", covered=COVERED)
    assert (kc.label, kc.state, kc.kind, kc.approximate) == ("Kansas City, MO", "MO", "place", True)
    assert kc.point.longitude == pytest.approx(-94.58, abs=0.05)  # Missouri's, not Kansas's


def test_a_name_in_two_covered_states_is_offered_as_choices():
    with pytest.raises(NearProblem) as info:
        place_near("Springfield", covered=COVERED)
    assert info.value.reason == "choose"
    assert sorted(p.state for p in info.value.choices) == ["MA", "MO"]


def test_a_name_only_outside_the_covered_states_says_where_it_is():
    with pytest.raises(NearProblem) as info:
        place_near("Denver", covered=COVERED)
    assert (info.value.reason, info.value.state) == ("outside", "CO")


@pytest.mark.parametrize("near", ["Saint Louis, Missouri", "saint louis missouri", "St. Louis, missouri"])
def test_state_names_spelled_out_work(near):
    origin = place_near(near, covered=COVERED)
    assert (origin.label, origin.state) == ("St. Louis, MO", "MO")


def test_a_zip_says_it_is_a_zip_centre():
    origin = place_near("64106")
    assert (origin.kind, origin.label, origin.state, origin.street_ignored) == ("zip", "ZIP 64106", "MO", False)


def test_a_street_address_offline_is_placed_at_its_town_and_says_so():
    origin = place_near("1600 Main St, Kansas City, MO")
    assert (origin.kind, origin.label, origin.street_ignored) == ("place", "Kansas City, MO", True)
    with pytest.raises(NearProblem) as info:
        place_near("1600 Main St")
    assert info.value.reason == "street_only"


def test_an_online_geocoder_places_street_addresses_and_falls_back_offline():
    door = Geocoded(39.0921, -94.5840, "rooftop", "nominatim")
    asked: list[str] = []

    def online(text: str) -> Geocoded | None:
        asked.append(text)
        return door if text.startswith("1600") else None

    origin = place_near("1600 Main St, Kansas City, MO", online=online)
    assert (origin.kind, origin.point, origin.approximate) == ("street", door, False)
    fallback = place_near("9999 Nowhere Rd, Kansas City, MO", online=online)
    assert (fallback.kind, fallback.label, fallback.street_ignored) == ("place", "Kansas City, MO", True)
    assert place_near("Kansas City, MO", online=online).kind == "place"  # no street: not asked
    assert asked == ["1600 Main St, Kansas City, MO", "9999 Nowhere Rd, Kansas City, MO"]
