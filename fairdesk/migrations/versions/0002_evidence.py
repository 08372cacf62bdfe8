"""evidence vault: evidence items, custody log

Revision ID: 0002_evidence
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_evidence"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_item",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("case_file.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=True),
        sa.Column("captured_local", sa.String(40), nullable=False),
        sa.Column("captured_offset", sa.String(8), nullable=False),
        sa.Column("capture_is_claim", sa.Boolean(), nullable=False),
        sa.Column("gps_lat", sa.Float(), nullable=True),
        sa.Column("gps_lon", sa.Float(), nullable=True),
        sa.Column("make", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("orientation", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("file_modified_at", sa.DateTime(), nullable=True),
        sa.Column("file_created_at", sa.DateTime(), nullable=True),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("import_note", sa.Text(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("shows", sa.Text(), nullable=False),
        sa.Column("supports", sa.Text(), nullable=False),
        sa.Column("hall", sa.String(100), nullable=False),
        sa.Column("booth", sa.String(100), nullable=False),
        sa.Column("notary_present", sa.Boolean(), nullable=False),
        sa.Column("witness_present", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("derived_from", sa.String(36), sa.ForeignKey("evidence_item.id"), nullable=True),
        sa.Column("derivation", sa.JSON(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=False),
        sa.Column("purged_at", sa.DateTime(), nullable=True),
        sa.Column("integrity", sa.String(10), nullable=False),
        sa.Column("integrity_checked_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("evidence_item") as batch:
        batch.create_index("ix_evidence_item_case_id", ["case_id"])
        batch.create_index("ix_evidence_item_sha256", ["sha256"])
        batch.create_index("ix_evidence_item_derived_from", ["derived_from"])
        batch.create_index("ix_evidence_case_sha", ["case_id", "sha256"])

    op.create_table(
        "custody_event",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("item_sha256", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("device_id", "seq", name="uq_custody_device_seq"),
    )
    with op.batch_alter_table("custody_event") as batch:
        batch.create_index("ix_custody_event_item_sha256", ["item_sha256"])
        batch.create_index("ix_custody_event_item_id", ["item_id"])
        batch.create_index("ix_custody_event_case_id", ["case_id"])

    op.create_table(
        "evidence_inbox_file",
        sa.Column("path", sa.Text(), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("evidence_inbox_file")
    op.drop_table("custody_event")
    op.drop_table("evidence_item")
