"""first screen indexes: Today's open deadlines and the Cases list's default order

Revision ID: 0014_today_index
Revises: 0011_sync_fields

Both lists a user sees first are read before the window is usable (fairdesk.quickread), and
on 100,000 cases their queries walked every row: Today scanned all deadlines in due order,
skipping the done and deleted ones; Cases sorted every live case by level and next deadline
(a temporary B-tree) only to keep the first screen of 40. Two partial indexes hold exactly the
rows and the order those queries ask for:

* ``ix_deadline_open_due_at``: open, live deadlines by due time (Today: ~7 -> ~4 ms);
* ``ix_case_file_level_order``: live cases by level rank, next deadline, id: the expressions
  of ``fairdesk.quickread._ORDER["level"]`` verbatim, since SQLite uses an expression index
  only for the same expression (Cases' first screen: ~21 ms -> well under 1 ms).

Figures: 100,000 bench cases (tests/bench/bench_ui.py), loaded machine. Not mapped in the ORM
(like ``ix_case_file_list`` of 0006): the ORM never creates tables, migrations do.
"""

from __future__ import annotations

from alembic import op

revision = "0014_today_index"
down_revision = "0011_sync_fields"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_deadline_open_due_at ON deadline (due_at) "
        "WHERE done = 0 AND deleted_at IS NULL"
    )
    op.execute(
        "CREATE INDEX ix_case_file_level_order ON case_file ("
        "coalesce(nullif(instr('redyellowblue', level), 0), 99), "
        "coalesce(next_due_at, '9999'), id) WHERE deleted_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_case_file_level_order")
    op.execute("DROP INDEX ix_deadline_open_due_at")
