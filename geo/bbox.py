"""Checking boxes, points and shapes that come from outside (URLs, uploads) before they reach SQL,
so a bad one is a 400 with a reason instead of a slow query or a database error."""

from __future__ import annotations

import math
from dataclasses import dataclass

import shapely
from shapely.geometry import shape

from geo.errors import BadRequest

MAX_BBOX_DEG2 = 2_000.0  # about the lower 48 states; larger boxes are whole-country dumps
MAX_VERTICES = 100_000
GEOMETRY_TYPES = ("Point", "MultiPoint", "Polygon", "MultiPolygon", "LineString", "MultiLineString")


@dataclass(frozen=True)
class BBox:
    """A lon/lat box in SRID 4326 (degrees)."""

    minx: float
    miny: float
    maxx: float
    maxy: float

    @property
    def area_deg2(self) -> float:
        return (self.maxx - self.minx) * (self.maxy - self.miny)


def check_point(lat: float, lon: float) -> None:
    """A real place: finite, in range, and not 0,0 (what a failed geocode looks like)."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise BadRequest("latitude and longitude must be numbers")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest(f"({lat}, {lon}) is outside latitude -90..90, longitude -180..180")
    if lat == 0 and lon == 0:
        raise BadRequest("0,0 is not a real location (a failed geocode?)")


def parse_bbox(text: str, *, max_area_deg2: float = MAX_BBOX_DEG2) -> BBox:
    """'minlon,minlat,maxlon,maxlat' → BBox, refusing malformed, inverted, out-of-range or huge boxes."""
    parts = text.split(",")
    if len(parts) != 4:
        raise BadRequest("bbox must be four numbers: minlon,minlat,maxlon,maxlat")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise BadRequest("bbox must be four numbers: minlon,minlat,maxlon,maxlat") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise BadRequest("bbox values must be finite numbers")
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise BadRequest("bbox must have min < max, longitudes in -180..180 and latitudes in -90..90")
    box = BBox(minx, miny, maxx, maxy)
    if box.area_deg2 > max_area_deg2:
        raise BadRequest(f"bbox is too large ({box.area_deg2:.0f} square degrees; at most {max_area_deg2:.0f})")
    return box


def check_geometry(geojson: object, *, max_vertices: int = MAX_VERTICES) -> shapely.Geometry:
    """A GeoJSON geometry we can store: a known type, not empty, valid, lon/lat in range, bounded size."""
    if not isinstance(geojson, dict) or geojson.get("type") not in GEOMETRY_TYPES:
        raise BadRequest(f"geometry must be a GeoJSON object of type {', '.join(GEOMETRY_TYPES)}")
    try:
        geom = shape(geojson)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException) as e:
        raise BadRequest(f"geometry is malformed: {e}") from None
    if geom.is_empty:
        raise BadRequest("geometry is empty")
    if shapely.get_num_coordinates(geom) > max_vertices:
        raise BadRequest(f"geometry has more than {max_vertices:,} vertices")
    minx, miny, maxx, maxy = geom.bounds
    if not all(math.isfinite(v) for v in geom.bounds) or minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise BadRequest("geometry coordinates must be longitude -180..180, latitude -90..90 (SRID 4326)")
    if not geom.is_valid:
        raise BadRequest(f"geometry is not valid: {shapely.is_valid_reason(geom)}")
    return geom
