"""Choropleth classes. Desert maps use fixed bands per measure (`Band`, `classify_bands`): the same
colour means the same number on every map, embed and report, a value is classed by the number a
reader sees (after rounding), labels never overlap and carry their unit, and "no gap" has a neutral
colour. `classify` (mapclassify breaks, ColorBrewer colours) is kept for data-driven layers."""

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
NO_GAP_COLOR = "#e8eef3"  # neutral: nobody beyond reach is not a shade of the desert ramp


@dataclass(frozen=True)
class ClassBin:
    lower: float
    upper: float
    count: int | None  # None when the features are drawn from tiles and never counted here
    color: str
    label: str


@dataclass(frozen=True)
class Band:
    """One fixed class: values (as displayed) up to `upper` inclusive; None is "and more"."""

    upper: float | None
    label: str
    color: str


def classify_bands(shown: Sequence[float | None], bands: Sequence[Band]) -> tuple[list[int | None], list[ClassBin]]:
    """The band of each displayed value (None for missing) and the legend's bins with their counts."""
    classes: list[int | None] = []
    for v in shown:
        classes.append(None if v is None else
                       next(i for i, b in enumerate(bands) if b.upper is None or v <= b.upper))
    bins = []
    lower = 0.0
    for i, band in enumerate(bands):
        upper = float("inf") if band.upper is None else band.upper
        bins.append(ClassBin(lower, upper, sum(1 for c in classes if c == i), band.color, band.label))
        lower = upper
    return classes, bins


def band_bins(bands: Sequence[Band]) -> list[ClassBin]:
    """The legend's bins without counts, for layers drawn from vector tiles."""
    return [ClassBin(b.lower, b.upper, None, b.color, b.label) for b in classify_bands([], bands)[1]]


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
    """The `legend` member added to a choropleth's GeoJSON; atlas-map.js draws it as text. JSON has
    no infinity: an open-ended top class has `upper` null."""
    classes = [{**asdict(b), "upper": None if b.upper == float("inf") else b.upper} for b in bins]
    return {"title": title, "scheme": scheme, "classes": classes,
            "no_data_color": NO_DATA_COLOR, "note": note}
