"""Downloads of what a map shows: a layer's features as CSV (points keep lon/lat; shapes are left
to the GeoJSON download)."""

from __future__ import annotations

import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Text for one CSV cell; a leading formula character is quoted so spreadsheets show it as text."""
    if value is None:
        return ""
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def collection_csv(collection: dict) -> str:
    """One row per feature, one column per property (internal `_` properties left out)."""
    features = collection.get("features", [])
    columns: list[str] = []
    for f in features:
        for key in f.get("properties") or {}:
            if not key.startswith("_") and key not in columns:
                columns.append(key)
    points = any((f.get("geometry") or {}).get("type") == "Point" for f in features)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns + (["lon", "lat"] if points else []))
    for f in features:
        props = f.get("properties") or {}
        row = [_cell(props.get(c)) for c in columns]
        if points:
            geometry = f.get("geometry") or {}
            lon, lat = geometry.get("coordinates", [None, None])[:2] if geometry.get("type") == "Point" else (None, None)
            row += [_cell(lon), _cell(lat)]
        writer.writerow(row)
    return out.getvalue()
