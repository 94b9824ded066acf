"""Placing addresses: given coordinates → the geocode cache → an online geocoder (off unless
configured) → ZIP centroid → place centroid (both from the offline gazetteer, geo.gazetteer) →
county centroid.

Every answer carries its precision and source, and is checked against the state the address
names: a point outside that state is never accepted, whichever step found it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import httpx
import numpy as np
import shapely
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.db import Connection
from geo.gazetteer import Geocoded, normalise_place, place_point, zip_code
from geo.states import state_fips

LOW_PRECISION = ("zip", "place", "county")
# Generalised state outlines (1:10m) shave off shorelines: accept points within ~2 km of the line.
STATE_TOLERANCE_DEG = 0.02


class GeocoderSettings(BaseSettings):
    """The optional online geocoder, from `ATLAS_GEOCODER_*`; off by default (offline cascade only)."""

    model_config = SettingsConfigDict(env_prefix="ATLAS_GEOCODER_", extra="ignore")

    kind: Literal["off", "census", "nominatim", "pelias"] = "off"
    url: str | None = None  # e.g. http://127.0.0.1:8080 for a local Nominatim or Pelias
    timeout_s: float = 10.0
    search_timeout_s: float = 3.0  # a family waiting on /find: after this the offline gazetteer answers
    user_agent: str = "upstream-atlas"
    census_benchmark: str = "Public_AR_Current"


@dataclass(frozen=True)
class AddressQuery:
    address_1: str | None
    city: str | None
    state: str | None  # postal abbreviation
    postal_code: str | None

    def key(self) -> str:
        """Normalised so that spacing and case do not make two cache entries."""
        parts = (self.address_1, self.city, self.state, self.postal_code)
        return "|".join(re.sub(r"\s+", " ", (p or "").strip().lower()) for p in parts)

    def text(self) -> str:
        tail = " ".join(p for p in (self.state, self.postal_code) if p)
        return ", ".join(p for p in (self.address_1, self.city, tail) if p)


class StateShapes:
    """State outlines from the `region` table (kind='state'), to keep every point in its state."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self._shapes: dict[str, shapely.Geometry | None] = {}

    def shape(self, state: str) -> shapely.Geometry | None:
        if state not in self._shapes:
            row = self._conn.execute(
                "SELECT ST_AsBinary(geom) AS wkb FROM region WHERE kind = 'state' AND code = %s",
                [state_fips(state)],
            ).fetchone()
            shape = shapely.from_wkb(row["wkb"]).buffer(STATE_TOLERANCE_DEG) if row else None
            if shape is not None:
                shapely.prepare(shape)
            self._shapes[state] = shape
        return self._shapes[state]

    def contains(self, state: str, lon: float, lat: float) -> bool:
        shape = self.shape(state)
        return bool(shape is not None and shapely.contains_xy(shape, lon, lat))

    def contains_many(self, state: str, lons: Iterable[float], lats: Iterable[float]) -> np.ndarray:
        shape = self.shape(state)
        x, y = np.fromiter(lons, float), np.fromiter(lats, float)
        if shape is None:
            return np.zeros(len(x), bool)
        return np.asarray(shapely.contains_xy(shape, x, y), bool)


def state_problem(shapes: StateShapes, state: str, latitude: float, longitude: float) -> str | None:
    """Why a point cannot be a site in `state` (None when it can): one rule and one wording for
    imports and edits alike."""
    if shapes.contains(state, longitude, latitude):
        return None
    where = f"({latitude}, {longitude})"
    if shapes.contains(state, latitude, longitude):
        return f"{where} is outside {state}; latitude and longitude look swapped"
    return f"{where} is outside {state}, the state in the address"


def zip_centroid(q: AddressQuery) -> tuple[Geocoded | None, str | None]:
    """The cascade's ZIP step: the centroid of the address's ZIP, if that ZIP is in its state."""
    z = zip_code(q.postal_code)
    if z is None:
        return None, f"ZIP {q.postal_code} is not a known ZIP code" if q.postal_code else None
    if q.state and z.state != q.state:
        return None, f"ZIP {q.postal_code} is in {z.state}, not {q.state}"
    return z.centroid, None


def place_centroid(q: AddressQuery) -> tuple[Geocoded | None, str | None]:
    """The cascade's place step: the centre of the address's city in its state."""
    if not q.city or not q.state:
        return None, None
    found = place_point(q.city, q.state)
    if found is None:
        return None, f"no place named {q.city!r} in {q.state}"
    return found, None


def county_centroid(conn: Connection, q: AddressQuery) -> tuple[Geocoded | None, str | None]:
    """A county named in the city field ('Boone County'), or the county of a known ZIP; names
    compare as places do (normalise_place: "St. Charles" is "Saint Charles")."""
    if not q.state:
        return None, None
    names = []
    if q.city:
        names.append(_county_name(q.city))
    z = zip_code(q.postal_code)
    if z and z.state == q.state and z.county:
        names.append(_county_name(z.county))
    if not names:
        return None, None
    counties = {_county_name(r["name"]): r["code"] for r in conn.execute(
        "SELECT code, name FROM region WHERE kind = 'county' AND state_fips = %s ORDER BY code",
        [state_fips(q.state)])}
    for name in names:
        if (code := counties.get(name)) is None:
            continue
        row = conn.execute(
            """SELECT ST_Y(p) AS lat, ST_X(p) AS lon FROM (
                   SELECT ST_PointOnSurface(geom) AS p FROM region WHERE kind = 'county' AND code = %s) c""",
            [code],
        ).fetchone()
        if row:
            return Geocoded(row["lat"], row["lon"], "county", "region table (county point on surface)"), None
    return None, None


def _county_name(name: str) -> str:
    """'St. Louis County', 'Saint Louis' → 'saint louis'; Louisiana's parishes, Alaska's boroughs too."""
    return normalise_place(re.sub(r"\s+(county|parish|borough)$", "", name.strip(), flags=re.IGNORECASE))


# --- online geocoders -------------------------------------------------------------------------

_NOMINATIM_PRECISION = {
    "house": "rooftop", "building": "rooftop", "amenity": "rooftop", "place": "rooftop",
    "road": "street", "street": "street", "highway": "street",
    "postcode": "zip", "city": "place", "town": "place", "village": "place", "hamlet": "place",
    "suburb": "place", "neighbourhood": "place", "county": "county",
}
_PELIAS_PRECISION = {
    "address": "rooftop", "venue": "rooftop", "street": "street", "postalcode": "zip",
    "locality": "place", "localadmin": "place", "borough": "place", "neighbourhood": "place",
    "county": "county",
}


def _online_one(settings: GeocoderSettings, q: AddressQuery) -> Geocoded | None:
    """One address through geopy (Nominatim, Pelias) or the Census one-line endpoint."""
    assert settings.url
    scheme, _, domain = settings.url.partition("://")
    if settings.kind == "nominatim":
        from geopy.geocoders import Nominatim

        geocoder = Nominatim(user_agent=settings.user_agent, domain=domain, scheme=scheme,
                             timeout=settings.timeout_s)
        found = geocoder.geocode(q.text(), exactly_one=True, country_codes="us")
        if found is None:
            return None
        raw = found.raw
        kind = raw.get("addresstype") or raw.get("type") or raw.get("class") or ""
        precision = _NOMINATIM_PRECISION.get(kind, "street")
        return Geocoded(found.latitude, found.longitude, precision, "nominatim")
    if settings.kind == "pelias":
        from geopy.geocoders import Pelias

        geocoder = Pelias(domain=domain, scheme=scheme, timeout=settings.timeout_s,
                          user_agent=settings.user_agent)
        found = geocoder.geocode(q.text(), exactly_one=True)
        if found is None:
            return None
        layer = (found.raw.get("properties") or {}).get("layer", "")
        return Geocoded(found.latitude, found.longitude, _PELIAS_PRECISION.get(layer, "street"), "pelias")
    return None


def census_batch(settings: GeocoderSettings, queries: list[AddressQuery]) -> dict[int, Geocoded]:
    """The US Census batch geocoder: one CSV upload for many addresses (interpolated → street)."""
    assert settings.url
    body = io.StringIO()
    writer = csv.writer(body)
    for i, q in enumerate(queries):
        writer.writerow([i, q.address_1 or "", q.city or "", q.state or "", q.postal_code or ""])
    response = httpx.post(
        f"{settings.url.rstrip('/')}/geocoder/locations/addressbatch",
        data={"benchmark": settings.census_benchmark},
        files={"addressFile": ("addresses.csv", body.getvalue().encode(), "text/csv")},
        timeout=settings.timeout_s,
    )
    response.raise_for_status()
    found: dict[int, Geocoded] = {}
    for row in csv.reader(io.StringIO(response.text)):
        if len(row) >= 6 and row[2] == "Match" and row[5]:
            lon, lat = (float(v) for v in row[5].split(","))
            found[int(row[0])] = Geocoded(lat, lon, "street", "census")
    return found


def street_geocoder(settings: GeocoderSettings) -> Callable[[str], Geocoded | None] | None:
    """For nearby search: a typed street address → a point through the configured geocoder, within
    `search_timeout_s`; None when none is configured. Any failure answers None so the search falls
    back to the offline gazetteer. Nothing is cached: the text is where a family is."""
    if settings.kind == "off" or not settings.url:
        return None
    quick = settings.model_copy(update={"timeout_s": min(settings.timeout_s, settings.search_timeout_s)})

    def lookup(text: str) -> Geocoded | None:
        try:
            if quick.kind == "census":
                return _census_one_line(quick, text)
            return _online_one(quick, AddressQuery(text, None, None, None))
        except Exception:  # noqa: BLE001 - an outage or a timeout: the offline steps answer instead
            return None

    return lookup


def _census_one_line(settings: GeocoderSettings, text: str) -> Geocoded | None:
    """The Census one-line address endpoint (interpolated on the street → precision street)."""
    assert settings.url
    response = httpx.get(f"{settings.url.rstrip('/')}/geocoder/locations/onelineaddress",
                         params={"address": text, "benchmark": settings.census_benchmark, "format": "json"},
                         timeout=settings.timeout_s)
    response.raise_for_status()
    matches = (response.json().get("result") or {}).get("addressMatches") or []
    if not matches:
        return None
    xy = matches[0]["coordinates"]
    return Geocoded(float(xy["y"]), float(xy["x"]), "street", "census")


# --- the cascade ------------------------------------------------------------------------------

@dataclass
class Outcome:
    result: Geocoded | None
    reason: str | None  # why nothing was found, when nothing was


class Cascade:
    """Geocode many addresses, cheapest first; results land in the geocode_cache table."""

    def __init__(self, conn: Connection, settings: GeocoderSettings | None = None,
                 shapes: StateShapes | None = None):
        self.conn = conn
        self.settings = settings or GeocoderSettings()
        self.shapes = shapes or StateShapes(conn)

    def _in_state(self, q: AddressQuery, g: Geocoded) -> bool:
        return q.state is None or self.shapes.contains(q.state, g.longitude, g.latitude)

    def _cached(self, keys: list[str], skip_low: bool) -> dict[str, Geocoded]:
        rows = self.conn.execute(
            """SELECT query_key, latitude, longitude, precision, source FROM geocode_cache
               WHERE query_key = ANY(%s)""",
            [keys],
        ).fetchall()
        return {r["query_key"]: Geocoded(r["latitude"], r["longitude"], r["precision"], r["source"])
                for r in rows if not (skip_low and r["precision"] in LOW_PRECISION)}

    def _remember(self, q: AddressQuery, g: Geocoded) -> None:
        self.conn.execute(
            """INSERT INTO geocode_cache AS c (query_key, query, state, latitude, longitude, precision, source)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (query_key) DO UPDATE SET latitude = EXCLUDED.latitude,
                   longitude = EXCLUDED.longitude, precision = EXCLUDED.precision,
                   source = EXCLUDED.source, created_at = now()
               WHERE (c.latitude, c.longitude, c.precision, c.source)
                     IS DISTINCT FROM (EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.precision, EXCLUDED.source)""",
            [q.key(), q.text(), q.state, g.latitude, g.longitude, g.precision, g.source],
        )

    def _online(self, queries: list[AddressQuery]) -> tuple[dict[int, Geocoded], str | None]:
        if self.settings.kind == "off" or not self.settings.url or not queries:
            return {}, None
        try:
            if self.settings.kind == "census":
                return census_batch(self.settings, queries), None
            found = {}
            for i, q in enumerate(queries):
                g = _online_one(self.settings, q)
                if g is not None:
                    found[i] = g
            return found, None
        except Exception as e:  # noqa: BLE001 - a geocoder outage falls back to the offline steps
            return {}, f"{self.settings.kind} geocoder failed ({type(e).__name__}); used the offline gazetteer"

    def geocode_many(self, queries: list[AddressQuery], *, retry: bool = False,
                     advance: Callable[[int], None] | None = None) -> list[Outcome]:
        """One outcome per query, in order. `retry` skips low-precision cache entries."""
        outcomes: list[Outcome | None] = [None] * len(queries)
        cached = self._cached(list({q.key() for q in queries}), skip_low=retry)
        todo: list[int] = []
        for i, q in enumerate(queries):
            g = cached.get(q.key())
            if g is not None and self._in_state(q, g):
                outcomes[i] = Outcome(Geocoded(g.latitude, g.longitude, g.precision, g.source), None)
            else:
                todo.append(i)
        if advance:
            advance(len(queries) - len(todo))
        online, note = self._online([queries[i] for i in todo])
        for n, i in enumerate(todo):
            q = queries[i]
            reasons = [note] if note else []
            result = None
            candidate = online.get(n)
            if candidate is not None:
                if self._in_state(q, candidate):
                    result = candidate
                else:
                    reasons.append(f"{candidate.source} placed it outside {q.state}")
            for step in ("zip", "place", "county"):
                if result is not None:
                    break
                g, why = (zip_centroid(q) if step == "zip" else place_centroid(q) if step == "place"
                          else county_centroid(self.conn, q))
                if why:
                    reasons.append(why)
                if g is not None and self._in_state(q, g):
                    result = g
                elif g is not None:
                    reasons.append(f"{g.source} placed it outside {q.state}")
            if result is not None:
                self._remember(q, result)
            outcomes[i] = Outcome(result, None if result else "; ".join(r for r in reasons if r)
                                  or "no address, city or ZIP to geocode")
            if advance:
                advance(1)
        return [o for o in outcomes if o is not None]


@dataclass
class RetryResult:
    tried: int
    improved: int
    unchanged: int


def regeocode(conn: Connection, settings: GeocoderSettings | None = None, *, source: str | None = None,
              progress: Callable[[str, int], Callable[[int], None]] | None = None) -> RetryResult:
    """`atlas geocode --retry`: run the cascade again for zip/place/county-precision locations,
    skipping cached low-precision answers, and keep only answers that are more precise."""
    rows = conn.execute(
        """SELECT l.id, l.geocode_precision, a.address_1, a.city, a.state_province, a.postal_code
           FROM location l JOIN address a ON a.location_id = l.id
           WHERE l.geocode_precision = ANY(%s) AND (%s::text IS NULL OR l.source = %s)
           ORDER BY l.id""",
        [list(LOW_PRECISION), source, source],
    ).fetchall()
    queries = [AddressQuery(r["address_1"] or None, r["city"] or None, r["state_province"] or None,
                            r["postal_code"] or None) for r in rows]
    advance = progress("Geocoding", len(rows)) if progress else None
    outcomes = Cascade(conn, settings).geocode_many(queries, retry=True, advance=advance)
    rank = {p: i for i, p in enumerate(("rooftop", "street", "zip", "place", "county"))}
    improved = 0
    for r, o in zip(rows, outcomes, strict=True):
        g = o.result
        if g is None or rank[g.precision] >= rank[r["geocode_precision"]]:
            continue
        conn.execute(
            """UPDATE location SET latitude = %s, longitude = %s,
                   geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), geocode_precision = %s,
                   geocode_source = %s, county_fips = NULL, updated_at = now()
               WHERE id = %s""",
            [g.latitude, g.longitude, g.longitude, g.latitude, g.precision, g.source, r["id"]],
        )
        improved += 1
    if improved:
        conn.execute(
            """UPDATE location l SET county_fips = c.code FROM region c
               WHERE l.county_fips IS NULL AND l.geom IS NOT NULL AND c.kind = 'county'
                 AND ST_Intersects(c.geom, l.geom)""")
    return RetryResult(len(rows), improved, len(rows) - improved)
