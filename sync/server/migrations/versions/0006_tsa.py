"""HQ as a time-stamping authority: the log of every RFC 3161 token issued.

Revision ID: 0006t
Revises: 0003u
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006t"
down_revision: str | None = "0003u"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "tsa_tokens",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("hash_algorithm", sa.String(length=16), nullable=False),
        sa.Column("imprint", sa.String(length=128), nullable=False),
        sa.Column("gen_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("serial"),
    )
    op.create_index("ix_tsa_tokens_tenant_id", "tsa_tokens", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_tsa_tokens_tenant_id", table_name="tsa_tokens")
    op.drop_table("tsa_tokens")
