"""Content-Security-Policy for the map pages: scripts only from this site (the vendored map
library and atlas-map.js), data only from this site, basemap images from OpenStreetMap, and
`frame-ancestors` from the configured allow-list of court sites for /embed pages."""

from __future__ import annotations

import re

from geo.settings import Settings

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
