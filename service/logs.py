"""Structured logs: one JSON object per line, and one access line per request.

The access line has the method, the route's template (never the raw path or the query string, so a
family's search location or a confidential address in a URL never reaches a log), the status, the
duration and a request id that is also returned in `X-Request-ID`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from starlette.types import Message, Receive, Scope, Send

from service.asgi import HttpMiddleware

access_log = logging.getLogger("atlas.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# LogRecord attributes that are not ours to repeat in the JSON line.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: int = logging.INFO) -> None:
    """Send our loggers (and uvicorn's error log) to stderr as JSON, once however many apps are made."""
    for name, logger_level in (("atlas", level), ("uvicorn.error", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(logger_level)
        if not any(getattr(h, "atlas_json", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            handler.atlas_json = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.propagate = False
    # The online geocoder's HTTP clients log request URLs, which would hold a family's address.
    for name in ("httpx", "httpcore", "geopy", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return route.path
    if scope["path"].startswith("/static/"):
        return "/static/*"
    return "(unmatched)"


class AccessLog(HttpMiddleware):
    """ASGI middleware writing one access line per request, after the response has started."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": _route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "request_id": request_id,
                },
            )
