"""fair catalogue columns, the seeded-catalogue marker, and a party's file number

Revision ID: 0008_fairs_parties
Revises: 0007_reference_cursors

Fairs gain what the shipped catalogue (``resources/fairs/catalogue.json``, see
``fairdesk.fairs``) knows about them: Chinese and local names, opening time, organiser and its
IP desk, the library venue entry, the source and the date it was checked. ``closing_time`` may
now be empty (not known) instead of a made-up 18:00. A party gains ``reference``: the court's or
authority's file number (Aktenzeichen, 案号). ``fair_catalogue`` records which edition of the
catalogue this database has been seeded with, so an upgrade adds new fairs exactly once. The
seeding itself runs when the store opens (``fairdesk.fairs.seed_catalogue``), for new and
upgraded databases alike. ``outbox.acked_version`` keeps HQ's version after each of this
device's applied mutations, so a pulled snapshot older than our own edit does not hide it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_fairs_parties"
down_revision = "0007_reference_cursors"
branch_labels = None
depends_on = None

_FAIR_TEXT = (
    ("name_zh", 300),
    ("name_local", 300),
    ("opening_time", 5),
    ("organiser", 300),
    ("ip_desk", 2000),
    ("library_venue", 100),
    ("source_url", 500),
    ("source_checked", 10),
    ("catalogue_key", 100),
    ("notes", 2000),
)


def upgrade() -> None:
    with op.batch_alter_table("fair") as batch:
        for name, length in _FAIR_TEXT:
            batch.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )
    with op.batch_alter_table("party") as batch:
        batch.add_column(
            sa.Column("reference", sa.String(length=100), nullable=False, server_default="")
        )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("acked_version", sa.Integer(), nullable=True))
    op.create_table(
        "fair_catalogue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seeded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("fair_catalogue")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("acked_version")
    with op.batch_alter_table("party") as batch:
        batch.drop_column("reference")
    with op.batch_alter_table("fair") as batch:
        for name, _length in reversed(_FAIR_TEXT):
            batch.drop_column(name)
