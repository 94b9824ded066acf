"""One table from exception to HTTP status. Every error is JSON with a message a person can act on;
no stack trace ever reaches a client."""

from __future__ import annotations

import logging

import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive, Scope, Send

from geo.errors import BadRequest, NotFound, TooManyRequests, ValidationFailed
from geo.keys import NotAllowed, NotAuthenticated
from service.asgi import HttpMiddleware
from service.openapi import documented_methods
from service.responses import JSONResponse

log = logging.getLogger("atlas.errors")


class FieldError(BaseModel):
    """One field of a request and what is wrong with it."""

    field: str
    reason: str
    file: str | None = None
    line: int | None = None


class ErrorBody(BaseModel):
    """Every error response: a message a person can act on, and per field for 422s."""

    detail: str
    errors: list[FieldError] | None = None

STATUS: dict[type[Exception], int] = {
    BadRequest: 400,
    NotFound: 404,
    ValidationFailed: 422,
    NotAuthenticated: 401,
    NotAllowed: 403,
    TooManyRequests: 429,
    # The database refusing a value: say so without echoing its message (it can quote data).
    psycopg.IntegrityError: 409,
    psycopg.DataError: 400,
    psycopg_pool.PoolTimeout: 503,
    psycopg.OperationalError: 503,
}
DATABASE_DOWN = "The database is not answering; please try again in a few seconds."
DATABASE_REFUSED = {
    409: "The change conflicts with existing records; nothing was changed.",
    400: "A value in the request is not acceptable (out of range, malformed, or containing NUL).",
}


def _status_for(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


async def atlas_error_handler(request: Request, exc: Exception) -> JSONResponse:
    status = _status_for(exc)
    if status == 503:
        body: dict = {"detail": DATABASE_DOWN}
        headers = {"Retry-After": "5"}
    elif status == 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        body, headers = {"detail": "Internal error; it has been logged."}, {}
    elif isinstance(exc, psycopg.Error):
        body, headers = {"detail": DATABASE_REFUSED[status]}, {}
    else:
        body, headers = {"detail": str(exc)}, {}
        if isinstance(exc, NotAuthenticated):
            headers = {"WWW-Authenticate": "Bearer"}
        if isinstance(exc, ValidationFailed):
            body["errors"] = [e.as_dict() for e in exc.errors]
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after_s)}
    return JSONResponse(body, status_code=status, headers=headers)


async def http_error_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Every method the path answers (Starlette names only the first route's): as the OpenAPI says.
        headers["Allow"] = ", ".join(documented_methods(request.app, request.url.path)) or headers.get("Allow", "")
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "reason": e["msg"]}
        for e in exc.errors()
    ]
    message = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return JSONResponse({"detail": message, "errors": errors}, status_code=422)


class UnexpectedErrors(HttpMiddleware):
    """ASGI middleware answering an exception no handler took with the JSON 500, and ending the
    request there. Starlette's own last-resort handler re-raises after answering, and the server
    then closes the connection, so a client's next request on it (keep-alive) is reset. The
    request's pooled connection was already rolled back and returned on the way out (service/deps.py).
    Only a response that has already started cannot be replaced: that one still ends the connection."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as exc:
            if started:
                raise
            response = await atlas_error_handler(Request(scope), exc)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """The status table for every error class, and the 500 for anything else. Call it before adding
    other middleware, so theirs (access log, security headers) wrap the error responses too."""
    app.add_middleware(UnexpectedErrors)
    app.add_exception_handler(Exception, atlas_error_handler)
    for cls in STATUS:
        app.add_exception_handler(cls, atlas_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error_handler)  # type: ignore[arg-type]
