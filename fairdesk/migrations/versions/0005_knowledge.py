"""reference library, alerts and acknowledgements

Revision ID: 0005_knowledge
Revises: 0004_sync_client
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_knowledge"
down_revision = "0004_sync_client"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_library_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("library_version", sa.Integer(), nullable=False),
        sa.Column("edition", sa.String(length=100), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.String(length=40), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("previous_version", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("library_version"),
    )
    op.create_table(
        "kb_alert",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("title_zh", sa.String(length=300), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("fairs", sa.JSON(), nullable=False),
        sa.Column("goods", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("valid_until", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_alert_ack", "kb_alert", ["acknowledged_at"])


def downgrade() -> None:
    op.drop_index("ix_kb_alert_ack", table_name="kb_alert")
    op.drop_table("kb_alert")
    op.drop_table("kb_library_version")
