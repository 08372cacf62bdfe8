"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from sync.server.db import downgrade, migrate, open_database
from sync.server.models import Base, Counter


def test_upgrade_matches_models_and_downgrades_cleanly(hq_db_url: str) -> None:
    db = open_database(hq_db_url)
    try:
        migrate(db.engine)
        migrate(db.engine)  # idempotent: a second start changes nothing
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        with db.reading() as session:
            assert session.scalars(select(Counter.value)).one() == 0
        downgrade(db.engine, "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        migrate(db.engine)
        assert "changes" in inspect(db.engine).get_table_names()
    finally:
        db.dispose()
