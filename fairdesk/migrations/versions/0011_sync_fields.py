"""sync bookkeeping for convergence: snapshot walks after a prune, HQ's epoch

Revision ID: 0011_sync_fields
Revises: 0009_situation

(``outbox.acked_version``, which this revision first added too, came with 0008.)
``sync_account.snapshot_until``: the high-water mark of a paged snapshot walk after a prune (pages
below HQ's prune mark are accepted only within such a walk). ``sync_account.hq_epoch``: HQ's epoch
id; HQ answers 410 when a device's epoch differs (HQ restored from an older backup).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_sync_fields"
down_revision = "0009_situation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_account") as batch:
        batch.add_column(
            sa.Column("snapshot_until", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("hq_epoch", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sync_account") as batch:
        batch.drop_column("hq_epoch")
        batch.drop_column("snapshot_until")
