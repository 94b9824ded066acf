"""Request body limits: a body larger than allowed is refused with 413 (JSON) before it is parsed,
whether it announces its length or streams in chunks (those are read here, up to the limit)."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from service.asgi import HttpMiddleware
from service.responses import JSONResponse

MAX_BODY_BYTES = 1_048_576  # 1 MiB: far more than any edit needs
# Prefixes that take file uploads get a larger allowance (the importer's spreadsheets).
UPLOAD_PREFIXES = {"/api/imports": 50 * 1_048_576}


def body_limit(path: str) -> int:
    for prefix, limit in UPLOAD_PREFIXES.items():
        if path.startswith(prefix):
            return limit
    return MAX_BODY_BYTES


def too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": f"request body too large: the limit is {limit:,} bytes"}, status_code=413)


class BodySizeLimit(HttpMiddleware):
    """ASGI middleware: check Content-Length up front, and count the bytes of a streamed body."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = body_limit(scope["path"])
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                await too_large(limit)(scope, receive, send)
                return
        if length is None and scope["method"] in ("POST", "PUT", "PATCH"):
            # A chunked body: read it here, stopping at the limit, then replay it to the app.
            chunks, seen, more = [], 0, True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                seen += len(chunks[-1])
                more = message.get("more_body", False)
                if seen > limit:
                    await too_large(limit)(scope, receive, send)
                    return
            body = b"".join(chunks)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)
