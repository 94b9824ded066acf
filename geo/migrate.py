"""Run the alembic migrations from code, so `atlas db migrate` needs no alembic.ini in the cwd."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from geo.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.url().replace("%", "%%"))
    return config


def upgrade(settings: Settings) -> None:
    """Bring the schema to every head: each feature's migrations branch from the base schema."""
    command.upgrade(alembic_config(settings), "heads")
