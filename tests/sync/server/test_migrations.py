"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from sync.server import admin, epoch
from sync.server.db import alembic_config, downgrade, migrate, open_database
from sync.server.models import Base, Counter


def _modelled(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
    """Leave out the search index of 0010cs, which no model describes: the FTS5 table and its
    shadow tables on SQLite, the pg_trgm GIN index on PostgreSQL."""
    return not (name or "").startswith(("case_summary_fts", "ix_case_summary_search_trgm"))


def test_upgrade_matches_models_and_downgrades_cleanly(hq_db_url: str) -> None:
    db = open_database(hq_db_url)
    try:
        migrate(db.engine)
        migrate(db.engine)  # idempotent: a second start changes nothing
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(
                    conn, opts={"compare_type": True, "include_object": _modelled}
                ),
                Base.metadata,
            )
        assert diff == []
        with db.reading() as session:
            assert (
                session.scalars(select(Counter.value).where(Counter.name == "server_seq")).one()
                == 0
            )
        with db.writing() as session:
            tenant = admin.add_tenant(session, "Acme", "company", 1)
        with db.reading() as session:
            assert len(epoch.current(session, tenant.id)) == 16  # its own epoch (0009s)
        downgrade(db.engine, "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        migrate(db.engine)
        assert "changes" in inspect(db.engine).get_table_names()
    finally:
        db.dispose()


def test_open_uploads_survive_the_upload_state_migration(hq_db_url: str) -> None:
    """An upload open before revision 0003u is `receiving` after it, with a fresh reservation."""
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, Table

    from sync.server.models import Upload
    from sync.server.uploads import LIVE_STATES, UploadState

    # Read from the scripts: the lead may re-chain revisions when merging branches.
    before = ScriptDirectory.from_config(alembic_config()).get_revision("0003u").down_revision
    assert isinstance(before, str)
    db = open_database(hq_db_url)
    try:
        migrate(db.engine, before)
        now = datetime.now(UTC)
        with db.engine.begin() as conn:
            tables = MetaData()
            tenants, devices, uploads = (
                Table(name, tables, autoload_with=conn)
                for name in ("tenants", "devices", "uploads")
            )
            conn.execute(
                tenants.insert().values(
                    id="t",
                    name="Acme",
                    kind="company",
                    quota_bytes=1,
                    pruned_through_seq=0,
                    created_at=now,
                )
            )
            conn.execute(
                devices.insert().values(
                    id="d",
                    tenant_id="t",
                    role="responder",
                    name="",
                    created_at=now,
                    last_mutation_id=0,
                )
            )
            for upload_id, state in (("open-one", "open"), ("done-one", "complete")):
                conn.execute(
                    uploads.insert().values(
                        id=upload_id,
                        tenant_id="t",
                        device_id="d",
                        idempotency_key=f"sha256:{upload_id}",
                        length=10,
                        offset=3,
                        state=state,
                        created_at=now,
                        updated_at=now,
                    )
                )
        migrate(db.engine)
        with db.reading() as session:
            rows = {u.id: u for u in session.scalars(select(Upload))}
        assert rows["open-one"].state == UploadState.RECEIVING in LIVE_STATES
        assert rows["open-one"].expires_at > now and rows["open-one"].offset == 3
        assert rows["done-one"].state == UploadState.COMPLETE
        downgrade(db.engine, before)
        with db.engine.connect() as conn:
            old = Table("uploads", MetaData(), autoload_with=conn)
            assert "expires_at" not in old.c
            states: dict[str, str] = dict(conn.execute(select(old.c.id, old.c.state)).all())
        assert states == {"open-one": "open", "done-one": "complete"}
    finally:
        db.dispose()
