"""evidence vault: evidence items, custody log

Revision ID: 0002_evidence
Revises: 0001_initial
"""

from __future__ import annotations

revision = "0002_evidence"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
