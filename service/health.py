"""Health: is the app up, and does the database answer? Non-200 when it does not."""

from __future__ import annotations

from fastapi import APIRouter, Request

from service.responses import JSONResponse

router = APIRouter(tags=["health"])


def _database_status(request: Request) -> dict:
    try:
        with request.app.state.pool.connection(timeout=2) as conn:
            row = conn.execute(
                "SELECT postgis_lib_version() AS postgis, current_setting('server_version') AS postgres"
            ).fetchone()
        return {"status": "up", **(row or {})}
    except Exception as e:  # noqa: BLE001 - any failure is "down", with its class for the operator
        return {"status": "down", "error": type(e).__name__}


@router.get("/health")
def health(request: Request) -> JSONResponse:
    database = _database_status(request)
    up = database["status"] == "up"
    return JSONResponse({"app": "up", "database": database}, status_code=200 if up else 503)


@router.get("/health/ready")
def ready(request: Request) -> JSONResponse:
    return health(request)
