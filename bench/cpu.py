"""CPU seconds spent by processes, read from /proc (Linux): a server's process tree (uvicorn's
workers are its children) and a database's PostgreSQL backends. Divided by the requests served,
they say where an API request's time goes, whatever else the machine is doing."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None  # the process ended meanwhile


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def tree_cpu(root: int) -> float:
    """User + system CPU seconds of `root` and all its descendants now alive."""
    parents: dict[int, int] = {}
    for pid in _pids():
        if (fields := _stat(pid)) is not None:
            parents[pid] = int(fields[1])
    members = {root}
    while True:
        more = {pid for pid, parent in parents.items() if parent in members} - members
        if not more:
            break
        members |= more
    total = 0
    for pid in members:
        if (fields := _stat(pid)) is not None:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def backends_cpu(dbname: str) -> float:
    """User + system CPU seconds of the PostgreSQL backends now connected to `dbname` (their
    process title is `postgres: <user> <dbname> <client> <state>`)."""
    total = 0
    for pid in _pids():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue
        parts = title.split()
        if len(parts) >= 3 and parts[0] == "postgres:" and parts[2] == dbname and (fields := _stat(pid)):
            total += int(fields[11]) + int(fields[12])
    return total / TICK
