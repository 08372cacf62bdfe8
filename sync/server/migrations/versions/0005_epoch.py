"""HQ's epoch id: a random number in `counters`, replaced when HQ finds it was restored.

Revision ID: 0005e
Revises: 0008g

See `sync.server.epoch`: devices remember the epoch of the HQ they synced with; a device that
shows another one is told (410 ``hq_restored``) to re-push what HQ lacks and pull everything.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision: str = "0005e"
down_revision: str | None = "0008g"
branch_labels: str | None = None
depends_on: str | None = None

_counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))


def upgrade() -> None:
    op.bulk_insert(_counters, [{"name": "epoch", "value": secrets.randbits(62) + 1}])


def downgrade() -> None:
    op.execute(_counters.delete().where(_counters.c.name == "epoch"))
