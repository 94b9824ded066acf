"""Finer population: tract or block-group areas (GEOID, population, shape) that a user loads.

Inside a loaded area the area's population replaces the default model: it is spread evenly over
the cells whose centres lie in the area (an area too small to hold a centre gives its people to
the cell containing its representative point). Cells outside every loaded area keep the default
county/place model, so load whole counties (or states) to keep county totals consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import shapely

from geo.db import Connection, query
from geo.deserts.surface import DemandSurface
from geo.errors import RowError, ValidationFailed


@dataclass(frozen=True)
class PopulationArea:
    """A loaded tract or block group: GEOID, people and shape (lon/lat)."""

    geoid: str
    population: float
    geom: shapely.Geometry


def load_population_areas(
    conn: Connection, path: Path, *, geoid_field: str, population_field: str, layer: str | None = None
) -> int:
    """Load (or replace, by GEOID) areas from GeoJSON, GeoPackage or Shapefile; all or nothing."""
    gdf = gpd.read_file(path, layer=layer)
    name = str(path)
    missing = [f for f in (geoid_field, population_field) if f not in gdf.columns]
    if missing:
        raise ValidationFailed([RowError(name, 0, f, f"no such field; fields are {', '.join(map(str, gdf.columns))}")
                                for f in missing])
    if gdf.crs is None:
        raise ValidationFailed([RowError(name, 0, "geometry", "the file has no coordinate system")])
    gdf = gdf.to_crs(4326)
    population = pd.to_numeric(gdf[population_field], errors="coerce")
    errors: list[RowError] = []
    seen: set[str] = set()
    for i, (geoid, people, geom) in enumerate(zip(gdf[geoid_field], population, gdf.geometry, strict=True)):
        line = i + 1
        code = "" if geoid is None or geoid != geoid else str(geoid).strip()
        if not code:
            errors.append(RowError(name, line, geoid_field, "empty"))
        elif code in seen:
            errors.append(RowError(name, line, geoid_field, f"{code} is listed twice"))
        seen.add(code)
        if people != people or people < 0:
            errors.append(RowError(name, line, population_field,
                                   f"{gdf[population_field].iloc[i]!r} is not a population (a number ≥ 0)"))
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
            errors.append(RowError(name, line, "geometry", "not a polygon"))
    if errors:
        raise ValidationFailed(errors)
    rows = [(str(g).strip(), float(p), shapely.to_wkb(geom))
            for g, p, geom in zip(gdf[geoid_field], population, gdf.geometry, strict=True)]
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS population_stage (geoid text, population float8, wkb bytea) ON COMMIT DROP"
    )
    conn.execute("TRUNCATE population_stage")
    with conn.cursor().copy("COPY population_stage (geoid, population, wkb) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    conn.execute(
        """INSERT INTO desert_population_area (geoid, population, geom, source)
           SELECT geoid, population,
                  ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromWKB(wkb), 4326)), 3)), %s
           FROM population_stage
           ON CONFLICT (geoid) DO UPDATE SET population = EXCLUDED.population, geom = EXCLUDED.geom,
               source = EXCLUDED.source, loaded_at = now()""",
        [f"loaded from {path.name}"],
    )
    return len(rows)


def population_areas_near(conn: Connection, counties: list[str]) -> list[PopulationArea]:
    """The loaded areas touching these counties: the ones that can replace a run's population."""
    rows = conn.execute(query("desert_population_areas"), {"counties": counties}).fetchall()
    return [PopulationArea(r["geoid"], float(r["population"]), shapely.from_wkb(r["wkb"])) for r in rows]


def apply_population_areas(surface: DemandSurface, areas: list[PopulationArea]) -> int:
    """Replace the default population inside `areas`; returns how many cells took an area's people."""
    if not areas:
        return 0
    geoms = np.array([a.geom for a in areas], dtype=object)
    tree = shapely.STRtree(geoms)
    centres = shapely.points(surface.lon, surface.lat)
    cell, area = tree.query(centres, predicate="within")
    # A centre on a shared edge can fall in two areas: keep the first.
    cell, first = np.unique(cell, return_index=True)
    area = area[first]
    counts = np.bincount(area, minlength=len(areas))
    new = surface.population.copy()
    new[cell] = 0.0
    np.add.at(new, cell, np.array([a.population for a in areas])[area] / counts[area])
    for k in np.flatnonzero(counts == 0):  # too small for a centre: its representative point's cell
        point = areas[k].geom.representative_point()
        target = np.uint64(h3i.latlng_to_cell(point.y, point.x, surface.resolution))
        pos = int(np.searchsorted(surface.cells, target))
        if pos < len(surface.cells) and surface.cells[pos] == target:
            new[pos] += areas[k].population
    surface.population = new
    return len(cell)
