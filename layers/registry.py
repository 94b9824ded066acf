"""The map layers. Each layer knows how to fetch its GeoJSON (through geo/), how to draw it and
what its popup shows. Pages and embeds compose maps from this registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from geo.db import Connection
from geo.regions import court_kind_for_state, regions_geojson
from geo.services import service_points_geojson


@dataclass(frozen=True)
class LayerFilter:
    """What the viewer asked for; each layer uses what applies to it."""

    state_fips: str | None = None
    county_fips: list[str] | None = None
    category: str | None = None
    stage: str | None = None


@dataclass(frozen=True)
class Layer:
    name: str
    title: str
    geometry: str  # "polygon" | "point"
    fetch: Callable[[Connection, LayerFilter], dict]
    style: dict = field(default_factory=dict)
    popup: tuple[tuple[str, str], ...] = ()  # (property, label); values are shown as text
    cluster: bool = False
    legend: str = ""


def _counties(conn: Connection, f: LayerFilter) -> dict:
    return regions_geojson(conn, kind="county", state_fips=f.state_fips, tolerance_deg=0.002)


def _courts(conn: Connection, f: LayerFilter) -> dict:
    kind = court_kind_for_state(conn, f.state_fips) if f.state_fips else None
    if kind is None:
        return {"type": "FeatureCollection", "features": []}
    return regions_geojson(conn, kind=kind, state_fips=f.state_fips, tolerance_deg=0.002)


def _services(conn: Connection, f: LayerFilter) -> dict:
    return service_points_geojson(
        conn, state_fips=f.state_fips, county_fips=f.county_fips, category=f.category, stage=f.stage
    )


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            name="counties",
            title="Counties",
            geometry="polygon",
            fetch=_counties,
            style={"color": "#6b7280", "weight": 1, "fillOpacity": 0.0},
            popup=(("name", "County"), ("code", "FIPS"), ("population", "Population (2019)")),
            legend="County boundaries (Census cartographic boundary files)",
        ),
        Layer(
            name="courts",
            title="Circuits / divisions",
            geometry="polygon",
            fetch=_courts,
            style={"color": "#1d4ed8", "weight": 2.5, "fillOpacity": 0.04},
            popup=(("name", "Court region"), ("population", "Population (2019)")),
            legend="Judicial circuits (Missouri) or Juvenile Court divisions (Massachusetts)",
        ),
        Layer(
            name="services",
            title="Services",
            geometry="point",
            fetch=_services,
            style={"color": "#b45309", "radius": 6},
            popup=(("name", "Service"), ("organization", "Organization"), ("categories", "Categories"),
                   ("phone", "Phone"), ("city", "City")),
            cluster=True,
            legend="Services (confidential sites are never shown)",
        ),
    )
}


def get_layer(name: str) -> Layer:
    try:
        return LAYERS[name]
    except KeyError:
        from geo.errors import NotFound

        raise NotFound(f"no layer named {name!r}; layers are {', '.join(LAYERS)}") from None
