"""Opening an up-to-date store stays cheap: no Alembic import, the right head revision."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fairdesk.store import head_revision, open_store, quick_head_revision


def test_quick_head_matches_alembic() -> None:
    assert quick_head_revision() == head_revision()


def test_reopening_an_up_to_date_store_does_not_import_alembic(tmp_path: Path) -> None:
    open_store(tmp_path / "data").close()
    code = (
        "import sys; from fairdesk.store import open_store; import fairdesk.cases; "
        f"s = open_store({str(tmp_path / 'data')!r}); s.close(); "
        "print(sorted(m for m in ('alembic', 'fairdesk.knowledge') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_a_database_one_revision_behind_is_migrated_and_backfilled(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from fairdesk import cases
    from fairdesk.cases import CaseInput, DeadlineInput
    from fairdesk.model import Direction, Trigger

    store = open_store(tmp_path / "data")
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    case_id = cases.create_case(
        store,
        CaseInput(
            "Complaint: smart lock",
            Direction.AGAINST_US,
            Trigger.COMPLAINT,
            deadlines=[DeadlineInput("reply", due_at=due)],
        ),
    )
    from alembic import command

    from fairdesk.store import _alembic_config

    config = _alembic_config()
    with store.engine.begin() as connection:  # back to the 0005 schema with the real downgrades
        config.attributes["connection"] = connection
        command.downgrade(config, "0005_knowledge")
    store.close()
    store = open_store(tmp_path / "data")
    try:
        assert cases.rows_by_id(store, [case_id])[case_id].next_deadline == due  # backfilled
        with store.engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar_one() == head_revision()
        assert list((tmp_path / "data" / "backups").glob("*-before-*"))  # backed up first
    finally:
        store.close()
