"""Hardening (issue 21): mutation content hashes, who linked a blob, refresh-token rotation.

- ``mutation_log.content_hash``: SHA-256 of the mutation as first received, so a replay of the
  same id with other content is answered 422 instead of ``duplicate`` (NULL for older rows:
  those replays stay ``duplicate``).
- ``blob_links.linked_by_tenant_id``: the tenant whose device pushed the reference; a link only
  makes a blob visible when that tenant itself holds the blob (NULL for older rows = the owner).
- ``device_tokens.parent_hash`` / ``used_at``: the refresh token a token replaced and when a
  refresh token was spent, for rotation with reuse detection.

Revision ID: 0004h
Revises: 0006t (written against 0002; re-chained after the uploads and TSA work merged)
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004h"
down_revision: str | None = "0006t"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("mutation_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("blob_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("linked_by_tenant_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("device_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_device_tokens_parent_hash", "device_tokens", ["parent_hash"])


def downgrade() -> None:
    op.drop_index("ix_device_tokens_parent_hash", table_name="device_tokens")
    with op.batch_alter_table("device_tokens", schema=None) as batch_op:
        batch_op.drop_column("used_at")
        batch_op.drop_column("parent_hash")
    with op.batch_alter_table("blob_links", schema=None) as batch_op:
        batch_op.drop_column("linked_by_tenant_id")
    with op.batch_alter_table("mutation_log", schema=None) as batch_op:
        batch_op.drop_column("content_hash")
