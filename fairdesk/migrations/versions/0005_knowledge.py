"""reference library, alerts and acknowledgements

Revision ID: 0005_knowledge
Revises: 0004_sync_client
"""

from __future__ import annotations

revision = "0005_knowledge"
down_revision = "0004_sync_client"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
