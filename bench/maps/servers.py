"""Servers for the maps benchmarks, each a subprocess on a free port, stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A command serving HTTP on `port`; ready when `ready_path` answers 200."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], port: int, ready_path: str = "/"):
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        OUT.mkdir(parents=True, exist_ok=True)
        self._log = (OUT / f"{name}.log").open("w")
        self.proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{name} did not start; see {OUT / (name + '.log')}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def atlas_server(database_url: str) -> Server:
    """Our app, one worker, on the benchmark database."""
    port = free_port()
    return Server("atlas", [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
                  {"ATLAS_DATABASE_URL": database_url}, port, "/health")


def static_server(name: str, directory: Path) -> Server:
    """A plain static site (gzip when asked), for the folium comparison page."""
    port = free_port()
    return Server(name, [sys.executable, "-m", "bench.maps.gzip_http", str(port), str(directory)], {}, port)


TIPG_VENV = OUT / "tipg-venv"


def tipg_server(database_url: str, table: str) -> Server:
    """tipg (PyPI), in its own virtualenv (bench/out/tipg-venv), serving one table, one worker."""
    if not (TIPG_VENV / "bin" / "uvicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", "tipg", "uvicorn"], check=True)
    port = free_port()
    env = {"DATABASE_URL": database_url, "TIPG_DB_SCHEMAS": '["public"]',
           "TIPG_DB_TABLES": f'["{table}"]', "TIPG_DB_FUNCTIONS": "[]"}
    return Server("tipg", [str(TIPG_VENV / "bin" / "uvicorn"), "tipg.main:app", "--port", str(port),
                           "--workers", "1", "--no-access-log"], env, port, "/collections")
