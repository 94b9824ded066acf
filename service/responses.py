"""Fast JSON responses (orjson), including GeoJSON's media type."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse as StarletteJSONResponse


class JSONResponse(StarletteJSONResponse):
    """A JSON response (so the OpenAPI calls routes returning one JSON, not a string), by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"
