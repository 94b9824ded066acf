"""Alembic environment: the URL comes from Settings (ATLAS_DATABASE_URL or the local cluster)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from geo.settings import Settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().url()
url = url.replace("postgresql://", "postgresql+psycopg://", 1)

engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
