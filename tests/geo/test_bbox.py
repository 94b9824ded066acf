"""Boxes, points and shapes from outside are checked before they reach SQL, with a reason."""

from __future__ import annotations

import pytest

from geo.bbox import BBox, check_geometry, check_point, parse_bbox
from geo.errors import BadRequest


def test_a_missouri_bbox_parses():
    assert parse_bbox("-95.8,35.9,-89.1,40.6") == BBox(-95.8, 35.9, -89.1, 40.6)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1,2,3", "four numbers"),
        ("a,b,c,d", "four numbers"),
        ("-90,40,-95,41", "min < max"),
        ("-200,40,-95,41", "-180..180"),
        ("nan,40,-95,41", "finite"),
        ("-180,-90,180,90", "too large"),
    ],
)
def test_bad_bboxes_say_why(text, reason):
    with pytest.raises(BadRequest, match=reason):
        parse_bbox(text)


def test_points_must_be_real_places():
    check_point(39.1, -94.6)
    for lat, lon, reason in [(0, 0, "0,0"), (91, 0, "outside"), (float("nan"), 1, "numbers")]:
        with pytest.raises(BadRequest, match=reason):
            check_point(lat, lon)


def test_geometries_are_checked_for_type_validity_range_and_size():
    square = {"type": "Polygon", "coordinates": [[[-94, 39], [-93, 39], [-93, 40], [-94, 40], [-94, 39]]]}
    assert check_geometry(square).area == 1
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    cases = [
        ({"type": "Circle"}, "GeoJSON"),
        ({"type": "Polygon", "coordinates": [[[1, 2]]]}, "malformed"),
        (bowtie, "not valid"),
        ({"type": "Point", "coordinates": [500, 10]}, "-180..180"),
        ({"type": "MultiPoint", "coordinates": [[1, 1]] * 11}, "vertices"),
    ]
    for geom, reason in cases:
        with pytest.raises(BadRequest, match=reason):
            check_geometry(geom, max_vertices=10)
