"""Run the alembic migrations from code, so `atlas db migrate` needs no alembic.ini in the cwd; then
(re)install the database functions kept in geo/sql/functions/."""

from __future__ import annotations

from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config

from geo.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FUNCTIONS = Path(__file__).resolve().parent / "sql" / "functions"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.url().replace("%", "%%"))
    return config


def install_functions(conn: psycopg.Connection) -> list[str]:
    """CREATE OR REPLACE every function in geo/sql/functions/*.sql, in name order: they are code,
    kept in files a reader can open, and a changed file takes effect at the next migrate."""
    names = []
    for path in sorted(FUNCTIONS.glob("*.sql")):
        conn.execute(path.read_text())  # type: ignore[arg-type]  # our own files, no parameters
        names.append(path.stem)
    return names


def upgrade(settings: Settings) -> None:
    """Bring the schema to every head (each feature's migrations branch from the base schema), then
    the functions to what geo/sql/functions says."""
    command.upgrade(alembic_config(settings), "heads")
    with psycopg.connect(settings.url()) as conn:
        if conn.execute("SELECT to_regclass('directory_pending')").fetchone() != (None,):
            install_functions(conn)
