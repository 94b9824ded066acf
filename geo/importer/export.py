"""Exports: HSDS 3, GeoJSON and the spreadsheet template. Confidential locations never carry a point."""

from __future__ import annotations

from pathlib import Path

from geo.db import Connection
from geo.errors import BadRequest


def export(conn: Connection, format_: str, output: Path, *, source: str | None = None) -> int:
    raise BadRequest(f"export format {format_!r} is not supported yet")
