"""Per-tenant change-log streams: `tenant_sequences`, and `changes` keyed by (stream, sequence).

Revision ID: 0009s
Revises: 0005e

Before, one HQ-wide counter row numbered every tenant's changes: every push of every tenant
waited for that one row lock, and the numbers a device saw (cursors, `snapshot_until`, 410s)
told it how much other tenants wrote. Now each tenant has its own stream and sequence.

Devices keep their cursors: every existing row keeps its number in its own tenant's stream,
escalated rows a guidance centre could see are copied into the centre's stream under the same
numbers, and every stream's sequence starts at the old counter's value, so a stored cursor means
exactly what it meant before. Each tenant takes over the HQ epoch as its own (no device resyncs).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision: str = "0009s"
down_revision: str | None = "0005e"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = (
    "server_seq, tenant_id, entity, entity_id, case_id, version, fields, deleted, device_id, "
    "mutation_id, created_at"
)


def _change_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("server_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("mutation_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _index_changes() -> None:
    op.create_index("ix_changes_case_seq", "changes", ["tenant_id", "case_id", "server_seq"])
    op.create_index("ix_changes_row", "changes", ["tenant_id", "entity", "entity_id", "version"])
    op.create_index("ix_changes_tenant_seq", "changes", ["tenant_id", "server_seq"])


def _replace_changes(new: str) -> None:
    """Drop the old `changes` (and its indexes), put `new` in its place, index it again."""
    op.drop_table("changes")
    op.rename_table(new, "changes")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE changes RENAME CONSTRAINT {new}_pkey TO changes_pkey")
    _index_changes()


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "tenant_sequences",
        sa.Column("tenant_id", sa.String(length=36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    counters: dict[str, int] = dict(bind.execute(sa.text("SELECT name, value FROM counters")).all())
    start = int(counters.get("server_seq") or 0)
    epoch = int(counters.get("epoch") or secrets.randbits(62) + 1)
    bind.execute(
        sa.text(
            "INSERT INTO tenant_sequences (tenant_id, value, epoch) "
            "SELECT id, :start, :epoch FROM tenants"
        ),
        {"start": start, "epoch": epoch},
    )
    op.create_table(
        "changes_v9",
        sa.Column("stream_id", sa.String(length=36), sa.ForeignKey("tenants.id"), nullable=False),
        *_change_columns(),
        sa.PrimaryKeyConstraint("stream_id", "server_seq"),
    )
    op.execute(
        f"INSERT INTO changes_v9 (stream_id, {_COLUMNS}) SELECT tenant_id, {_COLUMNS} FROM changes"
    )
    # What a guidance centre pulled: rows of its escalated cases from the escalation on
    # (earlier ones were re-published then), now in its own stream under the same numbers.
    copied = ", ".join(f"c.{name.strip()}" for name in _COLUMNS.split(","))
    op.execute(
        f"INSERT INTO changes_v9 (stream_id, {_COLUMNS}) "
        f"SELECT e.guidance_tenant_id, {copied} FROM changes c JOIN escalations e "
        "ON e.tenant_id = c.tenant_id AND e.case_id = c.case_id "
        "AND c.server_seq >= e.server_seq"
    )
    _replace_changes("changes_v9")


def downgrade() -> None:
    bind = op.get_bind()
    op.create_table("changes_v1", *_change_columns(), sa.PrimaryKeyConstraint("server_seq"))
    meta = sa.MetaData()
    old = sa.Table("changes", meta, sa.Column("stream_id", sa.String(36)), *_change_columns())
    new = sa.Table("changes_v1", meta, *_change_columns())
    records = sa.table(
        "records",
        sa.column("tenant_id", sa.String),
        sa.column("updated_seq", sa.BigInteger),
    )
    # Numbers of different streams may coincide: one HQ-wide numbering again, in sequence
    # order, from above every number handed out. Devices that synced since the upgrade hold
    # cursors of the new numbering; the epoch check gives them a clean resync.
    seq = int(
        bind.execute(sa.select(sa.func.coalesce(sa.func.max(old.c.server_seq), 0))).scalar_one()
    )
    seq = max(
        seq, int(bind.execute(sa.text("SELECT MAX(value) FROM tenant_sequences")).scalar() or 0)
    )
    rows = (
        bind.execute(
            sa.select(*(c for c in old.c if c.name != "stream_id"))
            .where(old.c.stream_id == old.c.tenant_id)
            .order_by(old.c.server_seq, old.c.tenant_id)
        )
        .mappings()
        .all()
    )
    for row in rows:
        seq += 1
        bind.execute(new.insert().values({**row, "server_seq": seq}))
        bind.execute(
            records.update()
            .where(
                records.c.tenant_id == row["tenant_id"], records.c.updated_seq == row["server_seq"]
            )
            .values(updated_seq=seq)
        )
    bind.execute(sa.text("UPDATE escalations SET server_seq = 0"))
    bind.execute(sa.text("UPDATE counters SET value = :v WHERE name = 'server_seq'"), {"v": seq})
    _replace_changes("changes_v1")
    op.drop_table("tenant_sequences")
