"""Opening an up-to-date store stays cheap: no Alembic import, the right head revision."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fairdesk.store import (
    QUICK_CHECK_NICENESS,
    head_revision,
    open_store,
    plain_connect,
    quick_head_revision,
)


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


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's")
def test_the_integrity_check_runs_below_the_first_screen_s_priority(tmp_path: Path) -> None:
    """The background quick_check of a deferred open yields the CPU to the window and the
    first screen's reads (issue 16: on 100,000 cases it took a core of a two-core laptop);
    the store still waits for its answer before any write."""
    open_store(tmp_path / "data").close()
    seen: dict[str, int] = {}

    def connect(path: Path) -> sqlite3.Connection:
        name = threading.current_thread().name
        if name.startswith("quick-check"):
            seen["check"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return plain_connect(path)

    store = open_store(tmp_path / "data", connect=connect, defer_orm=True)
    try:
        store.verify()  # the answer is still awaited (and "ok")
        assert seen["check"] >= os.getpriority(os.PRIO_PROCESS, 0) + QUICK_CHECK_NICENESS or (
            seen["check"] == 19  # already at the lowest priority there is
        )
        with store.write():  # writes go ahead once the check said "ok"
            pass
    finally:
        store.close()


def test_a_deferred_open_leaves_the_integrity_check_pending_until_asked_or_needed(
    tmp_path: Path,
) -> None:
    """Issue 16: the window's open does not start ``quick_check`` (the app starts it once the
    first screen has answered); anything that needs the engine first runs it and waits."""
    open_store(tmp_path / "data").close()
    checks: list[str] = []

    def connect(path: Path) -> sqlite3.Connection:
        if threading.current_thread().name.startswith("quick-check"):
            checks.append(threading.current_thread().name)
        return plain_connect(path)

    store = open_store(tmp_path / "data", connect=connect, defer_orm=True)
    try:
        assert store.reader.first_screen() == (0, [], {})  # the first screen reads without it
        assert checks == []
        with store.write():  # the first write starts the check and waits for its "ok"
            assert len(checks) == 1
        store.start_integrity_check()
        store.verify()
        assert len(checks) == 1  # once per open
    finally:
        store.close()

    store = open_store(tmp_path / "data", connect=connect, defer_orm=True)
    try:
        store.start_integrity_check()  # what the app does after the first screen
        store.verify()
        assert len(checks) == 2
    finally:
        store.close()
