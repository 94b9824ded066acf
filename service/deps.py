"""Request dependencies: a pooled connection and the settings, both from app.state."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from geo.db import Connection
from geo.near import OnlineGeocoder, Origin, place_near
from geo.regions import covered_states
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


class CoveredStates(Collection[str]):
    """The states the atlas covers (geo.regions.covered_states), read the first time they are
    needed: 'lat,lon', a ZIP or a place with its state never need them, so most searches save a
    query (bench/README.md, nearby)."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self._states: list[str] | None = None

    def _load(self) -> list[str]:
        if self._states is None:
            self._states = covered_states(self._conn)
        return self._states

    def __contains__(self, state: object) -> bool:
        return state in self._load()

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


@dataclass(frozen=True)
class Placer:
    """How nearby search (API and /find) turns `near` into an Origin: the states the atlas covers
    and the online street geocoder, if one is configured (made once, in the app factory)."""

    covered: Collection[str]
    online: OnlineGeocoder | None

    def place(self, near: str) -> Origin:
        return place_near(near, covered=self.covered, online=self.online)


def get_placer(request: Request, conn: Conn) -> Placer:
    return Placer(CoveredStates(conn), getattr(request.app.state, "street_geocoder", None))


NearPlacer = Annotated[Placer, Depends(get_placer)]
