"""What /openapi.json says each route answers, as it really answers: the JSON error body of
service/errors.py under every error status a route can give, and the media type and shape of
what it returns. Clients generated from the OpenAPI then read every answer the app gives
(tests/service/test_openapi_conformance.py runs schemathesis with every check over it)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel


class FieldError(BaseModel):
    """One problem with one field of the request."""

    field: str
    reason: str


class ErrorBody(BaseModel):
    """Every error: a message a person can act on; for invalid requests, the fields at fault."""

    detail: str
    errors: list[FieldError] | None = None


REASONS = {
    400: "The request names something that is not there or cannot be used (the message says which).",
    401: "An API key is required.",
    403: "The API key may not do this, or not in this region.",
    404: "No such record, layer or region.",
    409: "The change conflicts with existing records; nothing was changed.",
    413: "The request body is too large.",
    422: "A parameter or field is missing or not of its type (`errors` names each).",
    503: "The database is not answering; try again after Retry-After seconds.",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": {"type": "integer"}}}


# For reads that show more to a key's holder but need none (service.auth.Reader): the empty
# requirement joins the route's own schemes, as OpenAPI says optional authentication.
OPTIONAL_KEY: dict[str, Any] = {"security": [{}]}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for FastAPI: each status with the error body (503 with its Retry-After)."""
    return {code: {"model": ErrorBody, "description": REASONS[code],
                   **({"headers": RETRY_AFTER} if code == 503 else {})} for code in codes}


def content(media_type: str, schema: dict[str, Any] | None = None,
            description: str = "Successful Response") -> dict[int | str, dict[str, Any]]:
    """`responses=` declaring the 200 answer's media type (and its shape, when it has one)."""
    return {200: {"description": description, "content": {media_type: {"schema": schema or {}}}}}


FEATURE_COLLECTION = {"type": "object", "required": ["type", "features"],
                      "properties": {"type": {"const": "FeatureCollection"},
                                     "features": {"type": "array", "items": {"type": "object"}}}}


def _error_schemas(spec: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's own 422 (HTTPValidationError) is not what service/errors.py answers: ours instead."""
    ours = {"$ref": "#/components/schemas/ErrorBody"}
    for path in spec.get("paths", {}).values():
        for operation in path.values():
            answer = operation.get("responses", {}).get("422")
            if answer:
                answer["description"] = REASONS[422]
                answer["content"] = {"application/json": {"schema": ours}}
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
    schemas["ErrorBody"].pop("$defs", None)
    return spec


def documented_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI lists for a request path (for a 405's Allow header)."""
    matches: dict[int, set[str]] = {}  # by how many path parameters the template has
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            matches.setdefault(template.count("{"), set()).update(m.upper() for m in operations)
    return sorted(matches[min(matches)]) if matches else []  # /api/services/nearby, not /{record_id}


def _errors_are_json(spec: dict[str, Any]) -> None:
    """FastAPI writes an error model under the route's media type (GeoJSON, CSV): errors are JSON."""
    for path in spec.get("paths", {}).values():
        for operation in path.values():
            for status, answer in operation.get("responses", {}).items():
                schemas = [c.get("schema", {}) for c in answer.get("content", {}).values()]
                if status.isdigit() and int(status) >= 400 and any("ErrorBody" in str(x) for x in schemas):
                    answer["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _common_errors(spec: dict[str, Any]) -> None:
    """What any route may answer besides its own: 422 (a parameter not of its type), 400 (a value
    the database refuses), 503 (the database is not answering), and 404 where the path names a
    record; a route's own declaration of a status stands. /health says what it says itself."""
    ours = {"$ref": "#/components/schemas/ErrorBody"}
    for template, path in spec.get("paths", {}).items():
        if template.startswith("/health"):
            continue
        for operation in path.values():
            answers = operation.setdefault("responses", {})
            codes = [400, 503] + ([422] if operation.get("parameters") or operation.get("requestBody") else [])
            codes += [404] if "{" in template else []
            media = {"application/json": {"schema": ours}}
            if "text/html" in answers.get("200", {}).get("content", {}):  # a page may answer with a page
                media["text/html"] = {"schema": {"type": "string"}}
            for code in codes:
                answers.setdefault(str(code), {"description": REASONS[code], "content": media,
                                               **({"headers": RETRY_AFTER} if code == 503 else {})})


def install(app: FastAPI) -> None:
    """The app's OpenAPI, built once, with the error schemas as they are."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = _error_schemas(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes))
            _errors_are_json(spec)
            _common_errors(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
