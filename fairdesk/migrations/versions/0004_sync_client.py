"""device sync: account, blob queue, conflicts

Revision ID: 0004_sync_client
Revises: 0003_documents
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_sync_client"
down_revision = "0003_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_account",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("server_url", sa.String(500), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("tenant_name", sa.String(200), nullable=False),
        sa.Column("tenant_kind", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("mutation_base", sa.BigInteger(), nullable=False),
        sa.Column("blobs_scanned_through", sa.BigInteger(), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
    )
    op.create_table(
        "blob_queue",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("upload_id", sa.String(64), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("bytes_sent", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_blob_queue_state", "blob_queue", ["state"])
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=True),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("client_op", sa.String(10), nullable=False),
        sa.Column("base_version", sa.BigInteger(), nullable=False),
        sa.Column("server_version", sa.BigInteger(), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolved_by_device", sa.String(64), nullable=False),
        sa.Column("resolution_mutation_id", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_sync_conflict_case_id", "sync_conflict", ["case_id"])
    op.create_index("ix_sync_conflict_resolved", "sync_conflict", ["resolved"])


def downgrade() -> None:
    op.drop_index("ix_sync_conflict_resolved", "sync_conflict")
    op.drop_index("ix_sync_conflict_case_id", "sync_conflict")
    op.drop_table("sync_conflict")
    op.drop_index("ix_blob_queue_state", "blob_queue")
    op.drop_table("blob_queue")
    op.drop_table("sync_account")
