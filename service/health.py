"""Health: is the app up, and does the database answer? Non-200 when it does not."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from service.responses import JSONResponse

router = APIRouter(tags=["health"])


class DatabaseHealth(BaseModel):
    status: str  # up or down
    postgis: str | None = None
    postgres: str | None = None
    error: str | None = None  # the failure's class, when down


class Health(BaseModel):
    app: str
    database: DatabaseHealth


ANSWERS: dict[int | str, dict] = {200: {"model": Health, "description": "The app and its database are up."},
                                  503: {"model": Health, "description": "The database is down."}}


def _database_status(request: Request) -> dict:
    try:
        with request.app.state.pool.connection(timeout=2) as conn:
            row = conn.execute(
                "SELECT postgis_lib_version() AS postgis, current_setting('server_version') AS postgres"
            ).fetchone()
        return {"status": "up", **(row or {})}
    except Exception as e:  # noqa: BLE001 - any failure is "down", with its class for the operator
        return {"status": "down", "error": type(e).__name__}


@router.get("/health", response_model=None, responses=ANSWERS)
def health(request: Request) -> JSONResponse:
    database = _database_status(request)
    up = database["status"] == "up"
    return JSONResponse({"app": "up", "database": database}, status_code=200 if up else 503)


@router.get("/health/ready", response_model=None, responses=ANSWERS)
def ready(request: Request) -> JSONResponse:
    return health(request)
