"""How far the case summary has followed each change-log stream: `tenant_sequences.summary_seq`.

The summary was refreshed inside every push transaction; now a push only appends to the change
log and the summary catches up, once for all the pushes since, before it is read
(`sync.server.summary.catch_up`). Until this revision the summary was always current, so every
stream's cursor starts at its head.

Revision ID: 0011ss
Revises: 0010cs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011ss"
down_revision: str | None = "0010cs"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenant_sequences") as batch:
        batch.add_column(
            sa.Column("summary_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute("UPDATE tenant_sequences SET summary_seq = value")


def downgrade() -> None:
    from sync.server import summary  # the push path refreshed the summary itself before this

    summary.catch_up_connection(op.get_bind())
    with op.batch_alter_table("tenant_sequences") as batch:
        batch.drop_column("summary_seq")
