"""RFC 3161 timestamps on the custody log: the queue of heads to stamp and the tokens received

Revision ID: 0013_timestamps
Revises: 0008_fairs_parties

See ``fairdesk.evidence.timestamps``: one queue row per device (the newest head of its custody
log still to be stamped) and every verified token, stored beside the log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_timestamps"
down_revision = "0008_fairs_parties"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timestamp_queue",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("device_id"),
    )
    op.create_table(
        "timestamp_token",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("merkle_root", sa.String(length=64), nullable=False),
        sa.Column("head_json", sa.Text(), nullable=False),
        sa.Column("tsa_name", sa.String(length=200), nullable=False),
        sa.Column("tsa_url", sa.Text(), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("certs_pem", sa.Text(), nullable=False),
        sa.Column("gen_time", sa.DateTime(), nullable=False),
        sa.Column("serial", sa.String(length=80), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "tree_size", "tsa_name", name="uq_timestamp_head_tsa"),
    )
    op.create_index("ix_timestamp_token_device", "timestamp_token", ["device_id", "tree_size"])
    # A log written before this revision is queued too: its current head gets stamped at the
    # first sync after the upgrade (only this device's own log; others stamp theirs).
    op.execute(
        "INSERT INTO timestamp_queue (device_id, tree_size, queued_at, last_error) "
        "SELECT device_id, MAX(seq), CURRENT_TIMESTAMP, '' FROM custody_event "
        "WHERE device_id IN (SELECT id FROM device) GROUP BY device_id"
    )


def downgrade() -> None:
    op.drop_index("ix_timestamp_token_device", table_name="timestamp_token")
    op.drop_table("timestamp_token")
    op.drop_table("timestamp_queue")
