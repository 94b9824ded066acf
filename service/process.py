"""A server run as a subprocess on a free port — `atlas serve` for tests and benchmarks, or any other
HTTP command — ready when a path answers 200, and stopped by the PID it started, never by name."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now, so parallel runs never collide on a fixed one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`args` serving HTTP on `port`, its output in `log_path` (None: discarded, as a benchmark may
    want); ready when `ready_path` answers 200, else RuntimeError with the log's end after `timeout_s`."""

    def __init__(self, args: list[str], *, port: int, log_path: Path | None, env: dict[str, str] | None = None,
                 ready_path: str = "/health", timeout_s: float = 30, cwd: Path | None = None):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log: TextIO | None = None
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = log_path.open("w")
        self.proc = subprocess.Popen(args, env={**os.environ, **(env or {})}, cwd=cwd,
                                     stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        log = f"{log_path}:\n{log_path.read_text()[-4000:]}" if log_path is not None else "its output was discarded"
        raise RuntimeError(f"`{shlex.join(args)}` did not start; {log}")

    def stop(self) -> None:
        """SIGTERM to the PID we started (SIGKILL after 10 s); safe to call twice."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class AtlasServer(ServerProcess):
    """`atlas serve` on a free port against `database_url` (None: whatever the ATLAS_* environment
    says), with its log in `log_dir/<name>-<port>.log` (no `log_dir`: discarded)."""

    def __init__(self, database_url: str | None, log_dir: Path | None, *, name: str = "server",
                 env: dict[str, str] | None = None, args: tuple[str, ...] = (), ready_path: str = "/health",
                 timeout_s: float = 30, cwd: Path | None = None):
        port = free_port()
        database = {"ATLAS_DATABASE_URL": database_url} if database_url else {}
        super().__init__([sys.executable, "-m", "service.cli", "serve", "--port", str(port), *args], port=port,
                         log_path=log_dir / f"{name}-{port}.log" if log_dir else None,
                         env={**database, **(env or {})}, ready_path=ready_path, timeout_s=timeout_s, cwd=cwd)
