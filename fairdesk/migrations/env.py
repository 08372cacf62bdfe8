"""Alembic environment for the device database; run by fairdesk.store with a live connection."""

from __future__ import annotations

from alembic import context

from fairdesk.model import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic revision --autogenerate` by developers
    from sqlalchemy import create_engine

    connection = create_engine(
        context.config.get_main_option("sqlalchemy.url") or "sqlite://"
    ).connect()

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
