"""Content-Security-Policy for the map pages: scripts only from this site (the vendored map
library and atlas-map.js), data only from this site, basemap images from OpenStreetMap, and
`frame-ancestors` from the configured allow-list of court sites for /embed pages."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.settings import Settings
from service.asgi import HttpMiddleware

# On every response: no MIME sniffing, no Referer (a search page's URL may hold a place), and no
# geolocation by framed pages or interest cohorts.
FIXED_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"geolocation=(self), interest-cohort=()"),
]

MAP_PAGES = re.compile(r"^/(map|embed)?(/[^/]*)?$")

MAP_PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https://tile.openstreetmap.org https://*.tile.openstreetmap.org; "
    "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)


# The printable report is plain HTML and CSS: no script may run on it at all.
REPORT_POLICY = ("default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; object-src 'none'; "
                 "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def embed_ancestors(settings: Settings) -> str:
    """The frame-ancestors sources from ATLAS_EMBED_ALLOWED_ORIGINS ('*' = any site); Settings
    has already refused anything that is not an origin."""
    origins = settings.embed_origins()
    if not origins or "*" in origins:
        return "*"
    return " ".join(["'self'", *origins])


def content_security_policy(path: str, settings: Settings) -> str | None:
    """The policy for a path: full for map pages, framing only by this site elsewhere; None for
    the OpenAPI docs, whose page loads its own assets."""
    if path.startswith(("/docs", "/redoc")):
        return None
    if path.startswith("/embed/"):
        return f"{MAP_PAGE_POLICY}; frame-ancestors {embed_ancestors(settings)}"
    if MAP_PAGES.match(path):
        return f"{MAP_PAGE_POLICY}; frame-ancestors 'self'"
    if path.startswith("/report/"):
        return REPORT_POLICY
    return "frame-ancestors 'self'"


class SecurityHeaders(HttpMiddleware):
    """ASGI middleware adding the fixed security headers and the path's Content-Security-Policy to
    every response that has not set them itself. Pure ASGI (headers added to the response start),
    not Starlette's BaseHTTPMiddleware, which runs each request in a task with memory streams
    (≈ 0.1–0.2 ms a request: bench/README.md, nearby)."""

    def __init__(self, app: ASGIApp, settings: Settings):
        super().__init__(app)
        self.settings = settings

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        csp = content_security_policy(scope["path"], self.settings)
        extra = [*FIXED_HEADERS, *([(b"content-security-policy", csp.encode())] if csp else [])]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
