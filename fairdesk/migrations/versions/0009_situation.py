"""the user's correction of a case's situation (role × event × jurisdiction)

Revision ID: 0009_situation
Revises: 0013_timestamps

``case_file.situation_override`` holds a ``fairdesk.situation.Situation.key()`` when a person
corrected the situation computed from the case's facts, "" otherwise. It is synced like the
other case fields; levels, guidance, deadlines and documents follow it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_situation"
down_revision = "0013_timestamps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite does it in place): a batch copy of case_file would have to
    # re-create the list columns and triggers migration 0006 keeps on it.
    op.add_column(
        "case_file",
        sa.Column("situation_override", sa.String(length=80), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("case_file", "situation_override")  # in place, like the upgrade
