"""Storing and reading a run's cells compactly (migration 0017).

A surface's cells are stored once, per county, as arrays in ascending H3 order (`desert_surface_block`:
H3 as a 64-bit integer, centre, population, urban flag); runs with the same surface share it. Each
category and stage choice of a run is one row per county of arrays aligned with that block
(`desert_measure`: distance, 2SFCA, E2SFCA; thresholds once per row). Polygons are drawn from
the H3 index when a cell is shown (geo/deserts/draw.py), never stored.

Arrays go in and out in PostgreSQL's binary array format, built and read with numpy (binary COPY
in, `array_send` out): no per-value Python work for the ~270,000 cells × 20 categories of a full run.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import h3
import numpy as np
from psycopg import sql

from geo.db import Connection

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)
ELEMENT = {np.dtype(np.float64): (701, ">f8"), np.dtype(np.int64): (20, ">i8"), np.dtype(np.uint64): (20, ">i8"),
           np.dtype(bool): (16, "u1")}


def _array(values: np.ndarray) -> bytes:
    """One-dimensional array in PostgreSQL's binary format (no NULLs: infinity stands for none)."""
    oid, be = ELEMENT[values.dtype]
    n = len(values)
    if n == 0:
        return struct.pack("!iiI", 0, 0, oid)
    size = np.dtype(be).itemsize
    rec = np.empty(n, dtype=[("len", ">i4"), ("v", be)])
    rec["len"] = size
    rec["v"] = values.view(np.int64) if values.dtype == np.uint64 else values
    return struct.pack("!iiIii", 1, 0, oid, n, 1) + rec.tobytes()


def _field(value: object) -> bytes:
    """One COPY BINARY field: NULL, text, int8, float8, a polygon as EWKB, or a numpy array."""
    if value is None:
        return struct.pack("!i", -1)
    if isinstance(value, np.ndarray):
        data = _array(value)
    elif isinstance(value, str):
        data = value.encode()
    elif isinstance(value, bool | np.bool_):
        data = b"\x01" if value else b"\x00"
    elif isinstance(value, int | np.integer):
        data = struct.pack("!q", int(value))
    elif isinstance(value, float | np.floating):
        data = struct.pack("!d", float(value))
    elif isinstance(value, bytes):
        data = value
    else:
        raise TypeError(f"cannot copy {type(value).__name__}")
    return struct.pack("!i", len(data)) + data


def copy_binary(conn: Connection, table: str, columns: list[str], rows: Iterable[Sequence[object]]) -> int:
    """COPY rows in binary format (arrays as numpy arrays): one round trip, no text formatting."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    n = 0
    with conn.cursor().copy(statement) as copy:
        copy.write(COPY_HEADER)
        for row in rows:
            copy.write(struct.pack("!h", len(row)) + b"".join(_field(v) for v in row))
            n += 1
        copy.write(COPY_TRAILER)
    return n


def read_array(data: bytes | memoryview | None, dtype: str = ">f8") -> np.ndarray:
    """An array from `array_send(...)` (binary format, one dimension, no NULLs) as a numpy array."""
    if data is None:
        return np.zeros(0)
    ndim = struct.unpack_from("!i", data, 0)[0]
    if ndim == 0:
        return np.zeros(0, dtype=np.dtype(dtype).newbyteorder("="))
    n = struct.unpack_from("!i", data, 12)[0]
    rec = np.frombuffer(data, dtype=[("len", ">i4"), ("v", dtype)], count=n, offset=20)
    return rec["v"].astype(np.dtype(dtype).newbyteorder("="))


@dataclass
class Blocks:
    """The surface's cells grouped by county (the storage unit): each block's cell indexes, in
    ascending H3 order because the surface's cells are."""

    fips: list[str]
    index: list[np.ndarray]

    @classmethod
    def of(cls, county_fips: Sequence[str], county_of_cell: np.ndarray) -> Blocks:
        order = np.argsort(county_of_cell, kind="stable")
        bounds = np.searchsorted(county_of_cell[order], np.arange(len(county_fips) + 1))
        fips, index = [], []
        for k, code in enumerate(county_fips):
            cells = order[bounds[k]:bounds[k + 1]]
            if len(cells):
                fips.append(code)
                index.append(cells)
        return cls(fips, index)


def _bbox_wkb(lon: np.ndarray, lat: np.ndarray, margin_deg: float) -> bytes:
    """The block's cell centres' extent grown by a cell, as EWKB (SRID 4326)."""
    x0, x1 = float(lon.min()) - margin_deg, float(lon.max()) + margin_deg
    y0, y1 = float(lat.min()) - margin_deg, float(lat.max()) + margin_deg
    ring = [(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)]
    head = struct.pack("<BIIII", 1, 0x20000003, 4326, 1, len(ring))
    return head + b"".join(struct.pack("<dd", x, y) for x, y in ring)


def cell_margin_deg(resolution: int) -> float:
    """More than any cell's centre-to-vertex distance, in degrees (at up to 60° latitude)."""
    return 2.5 * h3.average_hexagon_edge_length(resolution, "m") / 111_320 / 0.5


def store_surface(conn: Connection, resolution: int, cells: np.ndarray, county_fips: Sequence[str],
                  county_of_cell: np.ndarray, lon: np.ndarray, lat: np.ndarray, population: np.ndarray,
                  urban: np.ndarray) -> int:
    """The id of the stored surface with exactly these cells and people, storing it if new."""
    digest = hashlib.sha256(struct.pack("!i", resolution))
    for part in (cells, lon, lat, population, urban, county_of_cell):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update("\x1f".join(county_fips).encode())
    fingerprint = digest.hexdigest()
    row = conn.execute(
        """INSERT INTO desert_surface (resolution, fingerprint, cells) VALUES (%s, %s, %s)
           ON CONFLICT (fingerprint) DO NOTHING RETURNING id""", [resolution, fingerprint, len(cells)]).fetchone()
    if row is None:
        found = conn.execute("SELECT id FROM desert_surface WHERE fingerprint = %s FOR KEY SHARE",
                             [fingerprint]).fetchone()
        assert found is not None
        return int(found["id"])
    surface_id = int(row["id"])
    blocks = Blocks.of(county_fips, county_of_cell)
    margin = cell_margin_deg(resolution)
    copy_binary(conn, "desert_surface_block",
                ["surface_id", "county_fips", "h3", "lon", "lat", "population", "urban", "bbox"],
                ((surface_id, fips, cells[i].astype(np.uint64), lon[i].astype(float), lat[i].astype(float),
                  population[i].astype(float), urban[i].astype(bool), _bbox_wkb(lon[i], lat[i], margin))
                 for fips, i in zip(blocks.fips, blocks.index, strict=True)))
    return surface_id


MEASURE_COLUMNS = ["run_id", "category", "stage", "county_fips", "urban_threshold_m", "rural_threshold_m",
                   "distance_m", "access_2sfca", "access_e2sfca"]


def store_measures(conn: Connection, run_id: int, category: str, stage: str | None, blocks: Blocks,
                   urban_m: float, rural_m: float, distance_m: np.ndarray, access_2sfca: np.ndarray,
                   access_e2sfca: np.ndarray, *, replace: bool = False) -> None:
    """One category and stage choice of a run, a row per county (the surface's blocks); with
    `replace`, those counties' rows are rewritten (an incremental recompute)."""
    if replace:
        conn.execute("""DELETE FROM desert_measure WHERE run_id = %s AND category = %s
                        AND coalesce(stage, '') = coalesce(%s, '') AND county_fips = ANY(%s)""",
                     [run_id, category, stage, blocks.fips])
    copy_binary(conn, "desert_measure", MEASURE_COLUMNS,
                ((run_id, category, stage, fips, float(urban_m), float(rural_m), distance_m[i].astype(float),
                  access_2sfca[i].astype(float), access_e2sfca[i].astype(float))
                 for fips, i in zip(blocks.fips, blocks.index, strict=True)))


def drop_unused_surfaces(conn: Connection) -> None:
    """Surfaces no run uses any more; one a running computation has just taken is left alone."""
    conn.execute(
        """DELETE FROM desert_surface WHERE id IN (
               SELECT s.id FROM desert_surface s
               WHERE NOT EXISTS (SELECT 1 FROM desert_run r WHERE r.surface_id = s.id)
               FOR UPDATE SKIP LOCKED)""")


def store_cells(conn: Connection, run_id: int, category: str, stage: str | None, *, h3_cells: Sequence[str],
                county_fips: Sequence[str], population: Sequence[float], urban: Sequence[bool],
                distance_m: Sequence[float | None], urban_m: float, rural_m: float,
                access_2sfca: Sequence[float], access_e2sfca: Sequence[float]) -> None:
    """Store given cell values as a run's cells of one category (for results made elsewhere, and
    test fixtures): the surface they make is stored (or shared) and becomes the run's."""
    cells = np.array([h3.str_to_int(c) for c in h3_cells], dtype=np.uint64)
    order = np.argsort(cells, kind="stable")
    codes = sorted(set(county_fips))
    county = np.array([codes.index(c) for c in county_fips], dtype=np.int64)[order]
    centres = np.array([h3.cell_to_latlng(c) for c in h3_cells], dtype=float).reshape(-1, 2)[order]
    resolution = h3.get_resolution(h3_cells[0]) if len(h3_cells) else 0
    urban_flags = np.asarray(urban, dtype=bool)[order]
    surface_id = store_surface(conn, resolution, cells[order], codes, county, centres[:, 1], centres[:, 0],
                               np.asarray(population, dtype=float)[order], urban_flags)
    conn.execute("UPDATE desert_run SET surface_id = %s WHERE id = %s", [surface_id, run_id])
    distance = np.array([np.inf if d is None else d for d in distance_m], dtype=float)[order]
    store_measures(conn, run_id, category, stage, Blocks.of(codes, county), urban_m, rural_m, distance,
                   np.asarray(access_2sfca, dtype=float)[order], np.asarray(access_e2sfca, dtype=float)[order])
