"""Who is asking: the API key from `Authorization: Bearer <key>` or `X-API-Key`. Reading needs no
key; every write does (401 without a valid one, 403 outside the key's role or regions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from geo.keys import ApiKey, authenticate, require_admin
from service.deps import Conn

bearer = HTTPBearer(auto_error=False, description="An API key made with `atlas keys create`.")
header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, another header.")


def current_key(
    conn: Conn,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
    x_api_key: Annotated[str | None, Security(header_key)] = None,
) -> ApiKey:
    presented = credentials.credentials if credentials else x_api_key
    return authenticate(conn, presented)


def optional_key(
    conn: Conn,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
    x_api_key: Annotated[str | None, Security(header_key)] = None,
) -> ApiKey | None:
    """For reads that show more to a key's holder (an unpublished plan of their region); a key
    that is sent must still be valid (401)."""
    presented = credentials.credentials if credentials else x_api_key
    return None if presented is None else authenticate(conn, presented)


def admin_key(key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
    require_admin(key)
    return key


Editor = Annotated[ApiKey, Depends(current_key)]
Admin = Annotated[ApiKey, Depends(admin_key)]
Reader = Annotated[ApiKey | None, Depends(optional_key)]
