"""device sync: blob queue, conflicts, pulled state

Revision ID: 0004_sync_client
Revises: 0003_documents
"""

from __future__ import annotations

revision = "0004_sync_client"
down_revision = "0003_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
