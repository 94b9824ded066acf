"""A project-owned PostgreSQL cluster, so the demo and tests never depend on what else runs here.

PostgreSQL refuses to run as root, so when we are root the cluster belongs to the `postgres` OS user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from geo.settings import Settings

SERVER_OPTIONS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "200",
    "shared_buffers": "256MB",
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    "jit": "off",
    "log_min_messages": "warning",
    # Statements can carry a family's search location: never log them.
    "log_min_error_statement": "panic",
    "log_statement": "none",
}


class ClusterError(RuntimeError):
    """The local cluster cannot be made or started; the message says what to do."""


def _owner() -> str | None:
    """The OS user that owns the cluster: `postgres` when we are root, else ourselves."""
    return "postgres" if os.geteuid() == 0 else None


def _run(args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    owner = _owner()
    cmd = ["runuser", "-u", owner, "--", *args] if owner else args
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def _chown(path: Path) -> None:
    owner = _owner()
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _bin(settings: Settings, name: str) -> str:
    path = settings.pg_bin / name
    if not path.exists():
        raise ClusterError(
            f"{path} not found: install PostgreSQL 15 with PostGIS "
            "(`apt-get install -y postgresql-15-postgis-3`, or `make deps` as root), "
            "or set ATLAS_DATABASE_URL to an existing PostGIS database."
        )
    return str(path)


def is_initialised(settings: Settings) -> bool:
    return (settings.cluster_dir / "PG_VERSION").exists()


def init(settings: Settings) -> bool:
    """Create the cluster once, with a random password for the `atlas` role. Returns True if made."""
    if is_initialised(settings):
        return False
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.home.chmod(0o755)
    settings.cluster_dir.mkdir(mode=0o700, exist_ok=True)
    _chown(settings.cluster_dir)
    password = secrets.token_urlsafe(18)
    pwfile = settings.cluster_dir.parent / ".pwfile"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    _chown(pwfile)
    try:
        result = _run(
            [
                _bin(settings, "initdb"),
                "-D", str(settings.cluster_dir),
                "-U", "atlas",
                "--pwfile", str(pwfile),
                "--auth-local", "scram-sha-256",
                "--auth-host", "scram-sha-256",
                "-E", "UTF8",
                "--locale", "C.UTF-8",
            ],
            check=False,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        shutil.rmtree(settings.cluster_dir, ignore_errors=True)
        raise ClusterError(f"initdb failed:\n{result.stderr}")
    settings.password_file.write_text(password + "\n")
    settings.password_file.chmod(0o600)
    conf = settings.cluster_dir / "postgresql.conf"
    with conf.open("a") as fh:
        fh.write("\n# Upstream Atlas\n")
        for key, value in SERVER_OPTIONS.items():
            fh.write(f"{key} = '{value}'\n")
    return True


def is_running(settings: Settings) -> bool:
    if not is_initialised(settings):
        return False
    result = _run([_bin(settings, "pg_ctl"), "-D", str(settings.cluster_dir), "status"], check=False)
    return result.returncode == 0


def start(settings: Settings) -> None:
    """Start the cluster on its own port (idempotent)."""
    init(settings)
    if is_running(settings):
        return
    options = f"-p {settings.pg_port} -k {settings.cluster_dir}"
    result = _run(
        [
            _bin(settings, "pg_ctl"),
            "-D", str(settings.cluster_dir),
            "-l", str(settings.cluster_dir / "server.log"),
            "-o", options,
            "-w", "-t", "60",
            "start",
        ],
        check=False,
    )
    if result.returncode != 0:
        log = settings.cluster_dir / "server.log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise ClusterError(f"PostgreSQL did not start on port {settings.pg_port}:\n{result.stderr}\n{tail}")


def stop(settings: Settings) -> None:
    if is_running(settings):
        _run([_bin(settings, "pg_ctl"), "-D", str(settings.cluster_dir), "-m", "fast", "-w", "stop"])


def ensure_database(url: str) -> None:
    """Create the database named in `url` if missing, with PostGIS and the extensions we use."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = str(info.get("dbname"))
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")  # the search's (category, point) index


def drop_database(url: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(url)
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(info["dbname"])))
        )
