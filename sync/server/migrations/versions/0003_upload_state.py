"""Upload state machine: `open` becomes `receiving`; reservations get an expiry time.

States: receiving → verifying → complete | failed, and receiving/verifying → expired (reservation
lapsed or device revoked). Uploads open at upgrade time get a full reservation period from now.

Revision ID: 0003u
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0003u"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_uploads = sa.table(
    "uploads",
    sa.column("state", sa.String(16)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(_uploads.update().values(expires_at=datetime.now(UTC) + timedelta(hours=24)))
    op.execute(_uploads.update().where(_uploads.c.state == "open").values(state="receiving"))
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    op.create_index("ix_uploads_tenant_state", "uploads", ["tenant_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_uploads_tenant_state", table_name="uploads")
    # Every live state was `open` before; finished and terminal ones keep their row as-is.
    op.execute(
        _uploads.update()
        .where(_uploads.c.state.in_(("receiving", "verifying")))
        .values(state="open")
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
