"""Request dependencies: a pooled connection and the settings, both from app.state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from geo.db import Connection
from geo.settings import Settings


def get_conn(request: Request) -> Iterator[Connection]:
    """The request's pooled connection. If the request fails, its open transaction (if any) is
    rolled back before the connection goes back to the pool, so the next request gets a clean one."""
    with request.app.state.pool.connection() as conn:
        yield conn


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


Conn = Annotated[Connection, Depends(get_conn)]
AppSettings = Annotated[Settings, Depends(get_settings)]
