"""Choropleth classes: mapclassify finds the class breaks, ColorBrewer gives the colours, and the
legend says what each colour means in the measure's own unit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import mapclassify
import numpy as np

from geo.errors import BadRequest

SCHEMES: dict[str, Callable[..., mapclassify.classifiers.MapClassifier]] = {
    "NaturalBreaks": mapclassify.NaturalBreaks,
    "Quantiles": mapclassify.Quantiles,
    "EqualInterval": mapclassify.EqualInterval,
}
# ColorBrewer YlOrRd: light = better off, dark red = worse off.
YL_OR_RD = {
    1: ["#fd8d3c"],
    2: ["#fecc5c", "#e31a1c"],
    3: ["#ffeda0", "#feb24c", "#f03b20"],
    4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
    5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    6: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"],
    7: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"],
}
NO_DATA_COLOR = "#d1d5db"


@dataclass(frozen=True)
class ClassBin:
    lower: float
    upper: float
    count: int
    color: str
    label: str


def classify(
    values: Sequence[float | None],
    *,
    scheme: str = "NaturalBreaks",
    k: int = 5,
    higher_is_worse: bool = True,
    fmt: Callable[[float], str] = lambda v: f"{v:,.4g}",
) -> tuple[list[int | None], list[ClassBin]]:
    """The class of each value (None for missing) and the bins, lowest first. Fewer distinct
    values than k gives one class per value, so a legend never shows empty or repeated classes."""
    if scheme not in SCHEMES:
        raise BadRequest(f"unknown classification {scheme!r}: use one of {', '.join(SCHEMES)}")
    k = max(1, min(k, 7))
    present = np.array([float(v) for v in values if v is not None], dtype=float)
    if present.size == 0:
        return [None] * len(values), []
    distinct = np.unique(present)
    if distinct.size <= k:
        uppers = list(distinct)
    else:
        classifier = SCHEMES[scheme](present, k=k)
        uppers = sorted({float(b) for b in classifier.bins})
    uppers[-1] = max(uppers[-1], float(present.max()))
    colors = YL_OR_RD[len(uppers)] if higher_is_worse else YL_OR_RD[len(uppers)][::-1]
    index = np.searchsorted(np.array(uppers), present, side="left")
    counts = np.bincount(index, minlength=len(uppers))
    bins: list[ClassBin] = []
    lower = float(present.min())
    for i, upper in enumerate(uppers):
        label = fmt(upper) if lower == upper else f"{fmt(lower)} – {fmt(upper)}"
        bins.append(ClassBin(lower, float(upper), int(counts[i]), colors[i], label))
        lower = float(upper)
    classes: list[int | None] = []
    it = iter(index.tolist())
    for v in values:
        classes.append(None if v is None else int(next(it)))
    return classes, bins


def legend_json(title: str, bins: list[ClassBin], *, scheme: str, note: str = "") -> dict:
    """The `legend` member added to a choropleth's GeoJSON; atlas-map.js draws it as text."""
    return {"title": title, "scheme": scheme, "classes": [asdict(b) for b in bins],
            "no_data_color": NO_DATA_COLOR, "note": note}
