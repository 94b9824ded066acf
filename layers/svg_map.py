"""A region's counties as a static SVG map, coloured by the share of people beyond reach (the same
bands as the map's rollups), for pages that run no script: the printable gap report. Drawn on the
server from the county outlines; each county carries its name and share as a <title>."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

from geo.db import Connection
from geo.regions import regions_geojson
from geo.scope import RegionRef
from layers.classes import NO_DATA_COLOR, classify_bands
from layers.deserts import SHARE

WIDTH = 640


def _rings(geometry: dict) -> Iterable[list[list[float]]]:
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


def county_share_svg(conn: Connection, region: RegionRef, shares: dict[str, float], *, label: str) -> str:
    """The SVG markup: counties of `region` filled by their share beyond reach (county FIPS →
    share 0–1; a county without one is grey), outlines in white, a <title> naming each."""
    features = regions_geojson(conn, kind="county", scope=region, tolerance_deg=0.003)["features"]
    if not features:
        return ""
    points = [p for f in features for ring in _rings(f["geometry"]) for p in ring]
    lat0 = math.radians(sum(p[1] for p in points) / len(points))
    kx = math.cos(lat0)  # equirectangular at the region's latitude: right enough for a county map
    xs, ys = [p[0] * kx for p in points], [-p[1] for p in points]
    minx, miny = min(xs), min(ys)
    scale = WIDTH / max(max(xs) - minx, 1e-9)
    height = round((max(ys) - miny) * scale)
    codes = [f["properties"]["code"] for f in features]
    classes, _ = classify_bands([None if c not in shares else SHARE.shown(shares[c]) for c in codes], SHARE.bands)
    paths = []
    for feature, code, cls in zip(features, codes, classes, strict=True):
        d = " ".join(
            "M" + " L".join(f"{(x * kx - minx) * scale:.1f},{(-y - miny) * scale:.1f}" for x, y in ring) + " Z"
            for ring in _rings(feature["geometry"]))
        fill = NO_DATA_COLOR if cls is None else SHARE.bands[cls].color
        share = "no result" if code not in shares else SHARE.text(shares[code])
        name = html.escape(f"{feature['properties']['name']}: {share} beyond reach")
        paths.append(f'<path d="{d}" fill="{fill}" fill-rule="evenodd" stroke="#ffffff" stroke-width="1"><title>{name}</title></path>')
    return (f'<svg class="region-map" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{html.escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(paths)}</svg>')


def share_legend() -> list[dict]:
    """The bands of the map, for the report to list beside it."""
    return [{"label": b.label, "color": b.color} for b in SHARE.bands]
