"""The workshop progress layer: a state's circuits or divisions coloured by how far their Upstream
workshop has come (none yet → planned → held → action plan adopted → meeting quarterly)."""

from __future__ import annotations

from geo.db import Connection
from geo.workshops.progress import NO_WORKSHOP, progress_geojson
from geo.workshops.schemas import STATUS_NAMES
from layers.classes import ClassBin, legend_json

# One colour per step, light to dark: further along is darker (ColorBrewer Blues, yellow for planned).
STATUS_COLORS = {None: "#e5e7eb", "planned": "#fde68a", "held": "#93c5fd", "plan_adopted": "#3b82f6",
                 "follow_up": "#1e3a8a"}
STEPS: list[str | None] = [None, *STATUS_NAMES]


def workshop_progress_layer(conn: Connection, state_fips: str) -> dict:
    """Court regions with `_class` = their step and a legend naming each step with its count."""
    collection = progress_geojson(conn, state_fips)
    counts = {step: 0 for step in STEPS}
    for feature in collection["features"]:
        status = feature["properties"]["status"]
        counts[status] += 1
        feature["properties"]["_class"] = STEPS.index(status)
        feature["properties"]["_value"] = feature["properties"]["status_name"]
    bins = [ClassBin(i, i, counts[step], STATUS_COLORS[step], STATUS_NAMES[step] if step else NO_WORKSHOP)
            for i, step in enumerate(STEPS)]
    return {**collection, "legend": legend_json("Upstream workshops", bins, scheme="status")}
