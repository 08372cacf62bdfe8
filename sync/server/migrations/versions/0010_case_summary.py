"""Case summary table for the console's case list, a search index over it, and the guidance
centre that published an alert.

SQLite: an FTS5 table with the trigram tokenizer (`case_summary_fts`, external content = the
summary, kept by triggers). PostgreSQL: a `pg_trgm` GIN index on `search_text`; when the role
may not create the extension, the migration logs that and goes on without the index (search
still works, as a scan). The summary is backfilled from the records.

Revision ID: 0010cs
Revises: 0009s
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision: str = "0010cs"
down_revision: str | None = "0009s"
branch_labels: str | None = None
depends_on: str | None = None

log = logging.getLogger(__name__)

# Exact substring matching (the list query re-checks every hit with instr()): case folding is
# done once in Python when the text is written.
_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE case_summary_fts USING fts5(search_text, content='case_summary', "
    "content_rowid='id', tokenize='trigram case_sensitive 1')"
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER case_summary_fts_ai AFTER INSERT ON case_summary BEGIN "
    "INSERT INTO case_summary_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER case_summary_fts_ad AFTER DELETE ON case_summary BEGIN "
    "INSERT INTO case_summary_fts(case_summary_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER case_summary_fts_au AFTER UPDATE ON case_summary BEGIN "
    "INSERT INTO case_summary_fts(case_summary_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO case_summary_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
PG_TRGM_INDEX = "ix_case_summary_search_trgm"


def upgrade() -> None:
    op.create_table(
        "case_summary",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=True),
        sa.Column("direction", sa.Text(), nullable=True),
        sa.Column("situation", sa.Text(), nullable=False),
        sa.Column("rule_trigger", sa.Text(), nullable=True),
        sa.Column("floor_country", sa.Text(), nullable=True),
        sa.Column("level_override", sa.Text(), nullable=True),
        sa.Column("fair_id", sa.Text(), nullable=True),
        sa.Column("fair_name", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("fair_time_zone", sa.Text(), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_device_id", sa.String(length=36), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "case_id"),
    )
    # A guidance centre's alerts to the companies that escalated to it (console, issue 15).
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("publisher_tenant_id", sa.String(length=36), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        try:
            with bind.begin_nested():
                op.execute(_SQLITE_FTS)
                for trigger in _SQLITE_TRIGGERS:
                    op.execute(trigger)
        except sa.exc.OperationalError as exc:  # an SQLite built without FTS5
            log.warning("no FTS5 search index (%s): case search scans the summary", exc)
    elif bind.dialect.name == "postgresql":
        try:
            with bind.begin_nested():
                op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                op.execute(
                    f"CREATE INDEX {PG_TRGM_INDEX} ON case_summary "
                    "USING gin (search_text gin_trgm_ops)"
                )
        except sa.exc.DBAPIError as exc:
            log.warning(
                "pg_trgm not available (%s): case search scans the summary without an index; "
                "a superuser can run CREATE EXTENSION pg_trgm and then the index from "
                "migration 0010cs",
                exc.orig,
            )
    from sync.server import summary  # the same code as the push path

    summary.rebuild(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("case_summary_fts_ai", "case_summary_fts_ad", "case_summary_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS case_summary_fts")
    elif bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PG_TRGM_INDEX}")
    op.drop_table("case_summary")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("publisher_tenant_id")
