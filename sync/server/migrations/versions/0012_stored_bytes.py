"""The bytes each tenant stores, kept as a number: `tenants.stored_bytes`.

The quota check summed the sizes of every claim of the tenant at every upload; the sum is now
kept in the transactions that add a claim (an upload's completion) or release one (garbage
collection). Filled here from the claims.

Revision ID: 0012sb
Revises: 0011ss
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012sb"
down_revision: str | None = "0011ss"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(
            sa.Column("stored_bytes", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE tenants SET stored_bytes = (SELECT coalesce(sum(size), 0) FROM tenant_blobs "
        "WHERE tenant_blobs.tenant_id = tenants.id)"
    )


def downgrade() -> None:
    # Not batch mode: on SQLite that copies `tenants` to a new table and drops the old one,
    # which every other table's foreign key refuses. SQLite has had DROP COLUMN since 3.35.
    op.execute("ALTER TABLE tenants DROP COLUMN stored_bytes")
