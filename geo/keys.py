"""API keys: who may edit, and where. A key is shown once; only its salted hash is kept.

A key looks like `atk_<prefix>_<secret>`: the prefix finds the row, the 32-byte random secret is
checked against `sha256(salt || secret)` in constant time. A fast hash is enough here because the
secret is random (256 bits), not a password a person chose; nothing can be guessed from the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from geo.db import Connection, query
from geo.errors import AtlasError, BadRequest

ROLES = ("admin", "editor")
EDITOR_REGION_KINDS = ("state", "county", "circuit", "division")
_KEY_SHAPE = re.compile(r"^atk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


class NotAuthenticated(AtlasError):
    """No key, or a key we do not know or that was revoked (401)."""


class NotAllowed(AtlasError):
    """A known key asking for something its role or regions do not cover (403)."""


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    role: str
    regions: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()


def resolve_regions(conn: Connection, codes: list[str]) -> list[str]:
    """'MO-16', 'county:29095' or 'MA-suffolk' → canonical 'kind:code', refusing unknown or
    ambiguous codes so a typo never makes a key that can edit nothing (or too much)."""
    resolved = []
    for raw in codes:
        kind, _, code = raw.strip().rpartition(":")
        kinds = [kind] if kind else list(EDITOR_REGION_KINDS)
        if kind and kind not in EDITOR_REGION_KINDS:
            raise BadRequest(f"region {raw!r}: kind must be one of {', '.join(EDITOR_REGION_KINDS)}")
        rows = conn.execute(
            "SELECT kind, code FROM region WHERE code = %s AND kind = ANY(%s) ORDER BY kind",
            [code, kinds],
        ).fetchall()
        if not rows:
            raise BadRequest(f"region {raw!r} not found (use a circuit, division, county FIPS or state FIPS code)")
        if len(rows) > 1:
            options = ", ".join(f"{r['kind']}:{r['code']}" for r in rows)
            raise BadRequest(f"region {raw!r} is ambiguous: say which of {options}")
        resolved.append(f"{rows[0]['kind']}:{rows[0]['code']}")
    return sorted(set(resolved))


def create_key(conn: Connection, name: str, role: str, regions: list[str] | None = None) -> tuple[ApiKey, str]:
    """Make a key; returns it with the full secret, which is never stored and cannot be shown again."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise BadRequest("a key needs a name (who or what uses it)")
    scoped = resolve_regions(conn, regions or []) if role == "editor" else []
    if role == "editor" and not scoped:
        raise BadRequest("an editor key needs at least one region (--region MO-16)")
    prefix, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_bytes(16)
    row = conn.execute(
        """INSERT INTO api_key (name, prefix, salt, hash, role, regions) VALUES (%s, %s, %s, %s, %s, %s)
           RETURNING id, name, prefix, role, regions, created_at, revoked_at""",
        [name.strip(), prefix, salt, _digest(salt, secret), role, scoped],
    ).fetchone()
    assert row is not None
    return _key(row), f"atk_{prefix}_{secret}"


def _key(row: dict) -> ApiKey:
    return ApiKey(row["id"], row["name"], row["prefix"], row["role"], tuple(row["regions"]),
                  row["created_at"], row["revoked_at"])


def list_keys(conn: Connection) -> list[ApiKey]:
    rows = conn.execute(
        "SELECT id, name, prefix, role, regions, created_at, revoked_at FROM api_key ORDER BY id"
    ).fetchall()
    return [_key(r) for r in rows]


def revoke_key(conn: Connection, key: str) -> ApiKey:
    """Revoke by id or prefix; the key stops working on its next request."""
    row = conn.execute(
        """UPDATE api_key SET revoked_at = coalesce(revoked_at, now())
           WHERE prefix = %s OR id::text = %s
           RETURNING id, name, prefix, role, regions, created_at, revoked_at""",
        [key, key],
    ).fetchone()
    if row is None:
        raise BadRequest(f"no key with id or prefix {key!r}")
    return _key(row)


def authenticate(conn: Connection, presented: str | None) -> ApiKey:
    """The live key behind a presented secret, or NotAuthenticated (never saying which part was wrong)."""
    match = _KEY_SHAPE.match(presented or "")
    if match is None:
        raise NotAuthenticated("an API key is required: send `Authorization: Bearer <key>` or `X-API-Key`")
    prefix, secret = match.groups()
    row = conn.execute(
        """SELECT id, name, prefix, salt, hash, role, regions, created_at, revoked_at
           FROM api_key WHERE prefix = %s""",
        [prefix],
    ).fetchone()
    if row is None or not hmac.compare_digest(bytes(row["hash"]), _digest(bytes(row["salt"]), secret)):
        raise NotAuthenticated("unknown or revoked API key")
    if row["revoked_at"] is not None:
        raise NotAuthenticated("unknown or revoked API key")
    return _key(row)


def require_admin(key: ApiKey) -> None:
    if not key.is_admin:
        raise NotAllowed("this needs an admin key")


def check_counties(conn: Connection, key: ApiKey, counties: list[str | None]) -> None:
    """An editor may touch a record only if every county it lies in is inside one of their regions.
    A record with no county (unplaced, or with no location) is for admins only."""
    if key.is_admin:
        return
    if not counties or any(c is None for c in counties):
        raise NotAllowed(f"key {key.name!r} may only edit records placed inside {', '.join(key.regions)}")
    row = conn.execute(
        query("counties_in_regions"),
        {"counties": sorted({c for c in counties if c is not None}), "regions": list(key.regions)},
    ).fetchone()
    if not (row and row["ok"]):
        raise NotAllowed(f"key {key.name!r} may only edit records inside {', '.join(key.regions)}")
