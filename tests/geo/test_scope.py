"""RegionRef: the one `kind:code` reference for maps, layers, desert runs, the API and the CLI."""

from __future__ import annotations

import pytest

from geo.errors import BadRequest
from geo.scope import RegionRef


@pytest.mark.parametrize(("text", "ref"), [
    ("circuit:MO-16", RegionRef("circuit", "MO-16")),
    (" county:29095 ", RegionRef("county", "29095")),
    ("division:MA-suffolk", RegionRef("division", "MA-suffolk")),
    ("Circuit:MO-16", RegionRef("circuit", "MO-16")),
    ("state:MO", RegionRef("state", "29")),  # a state by postal code, FIPS code or name
    ("state:29", RegionRef("state", "29")),
    ("state:Missouri", RegionRef("state", "29")),
])
def test_kind_and_code_are_parsed_and_a_state_is_named_by_fips(text, ref):
    assert RegionRef.parse(text) == ref
    assert str(RegionRef.parse(str(ref))) == str(ref)


@pytest.mark.parametrize("text", ["MO-16", "planet:earth", "circuit:", ":MO-16", "", f"county:{'9' * 65}"])
def test_a_bad_reference_gets_one_message_with_examples(text):
    with pytest.raises(BadRequest) as info:
        RegionRef.parse(text)
    message = str(info.value)
    assert message.startswith("unknown region ") and "use kind:code" in message
    assert "circuit:MO-16" in message and "state:MO" in message


def test_an_unknown_state_says_how_to_name_one():
    with pytest.raises(BadRequest, match="unknown state 'ZZ'"):
        RegionRef.parse("state:ZZ")
