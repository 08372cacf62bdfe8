"""Alerts in both languages with countries, fairs, goods and validity; alert acknowledgements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "alert_acks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mutation_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "alert_id"),
    )
    op.create_index("ix_alert_acks_tenant_id", "alert_acks", ["tenant_id"])
    op.create_index("ix_alert_acks_alert_id", "alert_acks", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_acks_alert_id", table_name="alert_acks")
    op.drop_index("ix_alert_acks_tenant_id", table_name="alert_acks")
    op.drop_table("alert_acks")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("details")
