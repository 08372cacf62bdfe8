"""Blob garbage collection: when a tenant's claim on a blob lost its last live reference.

Revision ID: 0008g
Revises: 0007c
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008g"
down_revision: str | None = "0007c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenant_blobs") as batch:
        batch.add_column(sa.Column("unreferenced_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenant_blobs") as batch:
        batch.drop_column("unreferenced_since")
