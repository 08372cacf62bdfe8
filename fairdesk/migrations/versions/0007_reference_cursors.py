"""cursors (and the last problem) of the HQ alert and reference feeds

Revision ID: 0007_reference_cursors
Revises: 0006_list_indexes

See ``fairdesk.feedmodel``: ``GET /v1/alerts`` and ``GET /v1/reference`` are paged by their
own cursors, kept apart from the change-log cursor in ``sync_state``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_reference_cursors"
down_revision = "0006_list_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_feed",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("error_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("sync_feed")
