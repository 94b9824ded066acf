"""Servers for the maps benchmarks, each a subprocess on a free port, stopped by its PID."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service.process import AtlasServer, ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"


def atlas_server(database_url: str) -> ServerProcess:
    """Our app, one worker, on the benchmark database."""
    return AtlasServer(database_url, OUT, name="atlas", timeout_s=60, cwd=ROOT)


def static_server(name: str, directory: Path) -> ServerProcess:
    """A plain static site (gzip when asked), for the folium comparison page."""
    port = free_port()
    return ServerProcess([sys.executable, "-m", "bench.maps.gzip_http", str(port), str(directory)], port=port,
                         log_path=OUT / f"{name}-{port}.log", ready_path="/", timeout_s=60, cwd=ROOT)


TIPG_VENV = OUT / "tipg-venv"


def tipg_server(database_url: str, table: str) -> ServerProcess:
    """tipg (PyPI), in its own virtualenv (bench/out/tipg-venv), serving one table, one worker."""
    if not (TIPG_VENV / "bin" / "uvicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", "tipg", "uvicorn"], check=True)
    port = free_port()
    env = {"DATABASE_URL": database_url, "TIPG_DB_SCHEMAS": '["public"]',
           "TIPG_DB_TABLES": f'["{table}"]', "TIPG_DB_FUNCTIONS": "[]"}
    return ServerProcess([str(TIPG_VENV / "bin" / "uvicorn"), "tipg.main:app", "--port", str(port),
                          "--workers", "1", "--no-access-log"], port=port, log_path=OUT / f"tipg-{port}.log",
                         env=env, ready_path="/collections", timeout_s=60, cwd=ROOT)
