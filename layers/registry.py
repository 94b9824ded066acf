"""The map layers. Each layer knows how to fetch its GeoJSON (through geo/), how to draw it, what
its legend says and what its popup shows. Pages, embeds and tiles compose maps from this registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from geo.db import Connection
from geo.regions import court_kind_for_state, regions_geojson
from geo.scope import RegionRef, scope_info
from geo.service_map import service_map_geojson, service_map_geojson_text
from layers.deserts import desert_cells_layer, desert_rollups_layer
from layers.freshness import freshness_layer
from layers.workshops import workshop_progress_layer

EMPTY: dict = {"type": "FeatureCollection", "features": []}


@dataclass(frozen=True)
class LayerFilter:
    """What the viewer asked for; each layer uses what applies to it. `scope` (a state, county,
    circuit or division) narrows every layer; without it, `state_fips` does."""

    state_fips: str | None = None
    county_fips: list[str] | None = None
    category: str | None = None
    stage: str | None = None
    scope: RegionRef | None = None
    measure: str | None = None
    rollup_kind: str = "county"
    verify_max_age_months: int = 12  # the freshness layer's age (ATLAS_VERIFY_MAX_AGE_MONTHS)

    def effective_scope(self) -> RegionRef | None:
        if self.scope is not None:
            return self.scope
        return RegionRef("state", self.state_fips) if self.state_fips else None


@dataclass(frozen=True)
class Layer:
    name: str
    title: str
    geometry: str  # "polygon" | "point"
    fetch: Callable[[Connection, LayerFilter], dict]
    style: dict = field(default_factory=dict)
    # (property, label[, format]); values are shown as text, numbers in the format's words
    # (atlas-map.js FORMATS: people, percent, miles, per10k, yesno, place)
    popup: tuple[tuple[str, ...], ...] = ()
    cluster: bool = False
    legend: str = ""
    choropleth: bool = False  # features carry `_class`; the data's `legend` member has the breaks
    show: bool = True  # drawn when the map opens (else only listed in the layer control)
    # A link at the foot of each popup: (label, path with {id} for the feature's id).
    action: tuple[str, str] | None = None
    # The same data as GeoJSON text straight from PostGIS, for big layers served as they are.
    fetch_text: Callable[[Connection, LayerFilter], str] | None = None


def _counties(conn: Connection, f: LayerFilter) -> dict:
    if f.scope is not None:
        return regions_geojson(conn, kind="county", scope=f.scope, tolerance_deg=0.001)
    return regions_geojson(conn, kind="county", state_fips=f.state_fips, tolerance_deg=0.002)


def _courts(conn: Connection, f: LayerFilter) -> dict:
    scope = f.effective_scope()
    if scope is None:
        return EMPTY
    state = scope.code if scope.kind == "state" else scope_info(conn, scope).state_fips
    kind = court_kind_for_state(conn, state) if state else None
    if kind is None:
        return EMPTY
    if f.scope is None:
        return regions_geojson(conn, kind=kind, state_fips=state, tolerance_deg=0.002)
    return regions_geojson(conn, kind=kind, scope=scope, tolerance_deg=0.001)


def _service_filters(conn: Connection, f: LayerFilter) -> dict:
    county_fips = f.county_fips
    if f.scope is not None and f.scope.kind != "state":
        county_fips = scope_info(conn, f.scope).county_fips
    state = f.scope.code if f.scope is not None and f.scope.kind == "state" else f.state_fips
    return {"state_fips": state, "county_fips": county_fips, "category": f.category, "stage": f.stage}


def _services(conn: Connection, f: LayerFilter) -> dict:
    return service_map_geojson(conn, **_service_filters(conn, f))


def _services_text(conn: Connection, f: LayerFilter) -> str:
    return service_map_geojson_text(conn, **_service_filters(conn, f))


def _workshops(conn: Connection, f: LayerFilter) -> dict:
    scope = f.effective_scope()
    if scope is None:
        return EMPTY
    state = scope.code if scope.kind == "state" else scope_info(conn, scope).state_fips
    return workshop_progress_layer(conn, state) if state else EMPTY


def _deserts(conn: Connection, f: LayerFilter) -> dict:
    scope = f.effective_scope()
    if scope is None:
        return EMPTY
    return desert_cells_layer(conn, scope, category=f.category, stage=f.stage, measure=f.measure)


def _freshness(conn: Connection, f: LayerFilter) -> dict:
    scope = f.effective_scope()
    if scope is None:
        return EMPTY
    return freshness_layer(conn, scope, f.verify_max_age_months)


def _rollups(conn: Connection, f: LayerFilter) -> dict:
    scope = f.effective_scope()
    if scope is None:
        return EMPTY
    return desert_rollups_layer(conn, scope, region_kind=f.rollup_kind, category=f.category,
                                stage=f.stage, measure=f.measure)


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            name="counties",
            title="Counties",
            geometry="polygon",
            fetch=_counties,
            style={"color": "#6b7280", "weight": 1, "fillOpacity": 0.0},
            popup=(("name", "County"), ("code", "FIPS"), ("population", "People (2019)", "people")),
            legend="County boundaries (Census cartographic boundary files)",
        ),
        Layer(
            name="courts",
            title="Circuits / divisions",
            geometry="polygon",
            fetch=_courts,
            style={"color": "#1d4ed8", "weight": 2.5, "fillOpacity": 0.04},
            popup=(("name", "Court region"), ("population", "People (2019)", "people")),
            legend="Judicial circuits (Missouri) or Juvenile Court divisions (Massachusetts)",
        ),
        Layer(
            name="deserts",
            title="Service deserts (cells of about 5 km²)",
            geometry="polygon",
            fetch=_deserts,
            style={"color": "#7f1d1d", "weight": 0.3, "fillOpacity": 0.65},
            popup=(("population", "People living here", "people"), ("covered", "Within reach", "yesno"),
                   ("distance_m", "Nearest service", "miles"),
                   ("threshold_m", "Beyond reach means farther than", "miles"), ("urban", "Area", "place"),
                   ("access_2sfca", "Places within reach", "per10k")),
            legend="Service deserts in cells of about 5 km²",
            choropleth=True,
        ),
        Layer(
            name="freshness",
            title="Listings verified (by county)",
            geometry="polygon",
            fetch=_freshness,
            style={"color": "#374151", "weight": 1, "fillOpacity": 0.55},
            popup=(("name", "County"), ("services", "Listings"), ("verified", "Verified recently"),
                   ("share_verified", "Share verified", "percent"), ("open_reports", "Open problem reports")),
            legend="Share of listings someone confirmed recently, per county",
            choropleth=True,
            show=False,
        ),
        Layer(
            name="rollups",
            title="Deserts by region",
            geometry="polygon",
            fetch=_rollups,
            style={"color": "#374151", "weight": 1, "fillOpacity": 0.6},
            popup=(("name", "Region"), ("population", "People", "people"),
                   ("population_uncovered", "People beyond reach", "people"),
                   ("share_uncovered", "Share beyond reach", "percent"),
                   ("mean_distance_m", "Average distance to the nearest service", "miles"),
                   ("rank", "Rank (1 = most beyond reach)")),
            legend="Service deserts rolled up per region",
            choropleth=True,
            show=False,
        ),
        Layer(
            name="services",
            title="Services",
            geometry="point",
            fetch=_services,
            fetch_text=_services_text,
            style={"color": "#b45309", "radius": 6},
            popup=(("name", "Service"), ("organization", "Organization"), ("categories", "Categories"),
                   ("phone", "Phone"), ("city", "City"), ("assured_date", "Verified on")),
            action=("Report a problem with this listing", "/problem/{id}"),
            cluster=True,
            legend="Services (confidential sites are never shown)",
        ),
        Layer(
            name="workshops",
            title="Upstream workshops",
            geometry="polygon",
            fetch=_workshops,
            style={"color": "#1f2937", "weight": 1.5, "fillOpacity": 0.75},
            popup=(("name", "Court region"), ("status_name", "Workshop"), ("participants", "People who came")),
            legend="Circuits or divisions by how far their Upstream workshop has come",
            choropleth=True,
        ),
    )
}


def get_layer(name: str) -> Layer:
    try:
        return LAYERS[name]
    except KeyError:
        from geo.errors import NotFound

        raise NotFound(f"no layer named {name!r}; layers are {', '.join(LAYERS)}") from None
