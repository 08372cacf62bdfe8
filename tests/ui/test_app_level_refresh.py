"""The app's level refresh: deferred past the first paint, but it still runs on its own."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from fairdesk import cases
from fairdesk.cases import CaseInput, DeadlineInput, levels
from fairdesk.demo import fill_demo
from fairdesk.model import Case, Deadline, Direction, Level, Trigger
from fairdesk.store import Store, open_store, plain_connect
from fairdesk.timeutil import utcnow
from ui import app as ui_app
from ui.app import Application
from ui.tasks import runner, set_synchronous


def test_a_deadline_that_came_close_while_closed_turns_red_soon_after_start(
    qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    case_id = cases.create_case(
        store,
        CaseInput(
            "Warning letter: smart lock",
            Direction.AGAINST_US,
            Trigger.COMPLAINT,
            deadlines=[DeadlineInput("Reply", due_at=now + timedelta(hours=40))],
        ),
    )
    assert cases.get_case(store, case_id).case.level is Level.YELLOW
    # Time passed while the app was closed: the reply is now due within 24 hours.
    with store.write() as session:
        deadline = session.scalars(select(Deadline).where(Deadline.case_id == case_id)).one()
        deadline.due_at = now + timedelta(hours=3)
    monkeypatch.setattr(ui_app, "FIRST_LEVEL_REFRESH_MS", 50)

    controller = Application(QApplication.instance(), store)  # type: ignore[arg-type]
    window = controller.start()
    qtbot.addWidget(window)
    try:
        # Not before the first paint (that competed with reading Today and Cases)...
        assert cases.get_case(store, case_id).case.level is Level.YELLOW
        assert controller.level_timer.isActive()
        assert controller.level_timer.interval() == ui_app.LEVEL_REFRESH_MS
        # ...but promptly after it, without the user doing anything, and the list follows.
        qtbot.waitUntil(
            lambda: cases.get_case(store, case_id).case.level is Level.RED, timeout=30000
        )
        qtbot.waitUntil(
            lambda: (
                window.cases.model.rowCount() == 1
                and window.cases.model.data(window.cases.model.index(0, 0)) == "Red"
            ),
            timeout=30000,
        )
    finally:
        controller.level_timer.stop()
        window.close()


def _levelled_by_older_code(store: Store, count: int) -> list[str]:
    """Cases that should be yellow (a complaint against us, R3), stored as blue / R5."""
    ids = [
        cases.create_case(store, CaseInput(f"Copy {i}", Direction.AGAINST_US, Trigger.COMPLAINT))
        for i in range(count)
    ]
    with store.write() as session:
        session.execute(
            update(Case).where(Case.id.in_(ids)).values(level=Level.BLUE, level_reason="R5")
        )
    return ids


@contextlib.contextmanager
def _app_running(
    qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> Iterator[None]:
    """The real app on real worker pools, its level pass started at once; ``release`` is set
    on the way out so that no held worker outlives the test."""
    monkeypatch.setattr(ui_app, "FIRST_LEVEL_REFRESH_MS", 0)
    set_synchronous(False)
    controller = Application(QApplication.instance(), store)  # type: ignore[arg-type]
    window = controller.start()
    qtbot.addWidget(window)
    try:
        yield
    finally:
        release.set()
        controller.level_timer.stop()
        window.close()
        runner().wait_idle()


def test_saving_a_case_does_not_wait_for_the_full_levels_pass(
    qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full pass reads every case (seconds on a large folder) beside the single writer:
    a case saved meanwhile is saved at once, and the pass still ends in a write."""
    reading, release = threading.Event(), threading.Event()
    read_pass = cases.cases_to_relevel

    def held_read_pass(
        store: Store, now: datetime | None = None, *, full: bool = False
    ) -> list[str]:
        reading.set()
        assert release.wait(60)
        return read_pass(store, now, full=full)

    [case_id] = _levelled_by_older_code(store, 1)
    monkeypatch.setattr(cases, "cases_to_relevel", held_read_pass)
    with _app_running(qtbot, store, monkeypatch, release):
        qtbot.waitUntil(reading.is_set, timeout=30000)
        saved: list[str] = []
        runner().run(
            cases.create_case,
            store,
            CaseInput("Bailiff at the booth", Direction.AGAINST_US, Trigger.SEIZURE),
            pool="db",
            on_done=saved.append,
        )
        qtbot.waitUntil(lambda: bool(saved), timeout=30000)  # while the pass still reads
        assert not release.is_set()
        release.set()
        qtbot.waitUntil(
            lambda: cases.get_case(store, case_id).case.level is Level.YELLOW, timeout=30000
        )


def test_a_case_saved_during_many_re_levellings_goes_between_two_chunks(
    qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a library update thousands of cases can be stale: the writer re-levels them a
    chunk per job, so a save queued meanwhile is written after the current chunk."""
    stale = _levelled_by_older_code(store, 3)
    order: list[str] = []
    first_chunk_running, save_queued = threading.Event(), threading.Event()
    relevel = cases.relevel_cases

    def held_relevel(store: Store, case_ids: list[str], now: datetime | None = None) -> int:
        order.append("relevel " + ",".join(case_ids))
        if not first_chunk_running.is_set():
            first_chunk_running.set()
            assert save_queued.wait(60)
        return relevel(store, case_ids, now)

    def save() -> str:
        order.append("save")
        return cases.create_case(
            store, CaseInput("Bailiff at the booth", Direction.AGAINST_US, Trigger.SEIZURE)
        )

    monkeypatch.setattr(cases, "relevel_cases", held_relevel)
    monkeypatch.setattr(levels, "FULL_REFRESH_CHUNK", 1)
    with _app_running(qtbot, store, monkeypatch, save_queued):
        qtbot.waitUntil(first_chunk_running.is_set, timeout=30000)
        runner().run(save, pool="db")
        save_queued.set()
        qtbot.waitUntil(lambda: len(order) == 4, timeout=30000)
        relevels = [step for step in order if step != "save"]
        assert order[1] == "save"  # after the first chunk, before the others
        assert sorted(relevels) == sorted(f"relevel {i}" for i in stale)
        qtbot.waitUntil(
            lambda: all(cases.get_case(store, i).case.level is Level.YELLOW for i in stale),
            timeout=30000,
        )


def test_the_integrity_check_starts_once_the_first_screen_has_answered(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: on a two-core laptop ``quick_check`` took a core from the reads the user waits
    for; it now starts when Today and Cases have answered, and writes still wait for it."""
    filled = open_store(tmp_path / "data")
    fill_demo(filled)
    filled.close()
    checks: list[str] = []

    def connect(path: Path) -> sqlite3.Connection:
        if threading.current_thread().name.startswith("quick-check"):
            checks.append("check")
        return plain_connect(path)

    store = open_store(tmp_path / "data", connect=connect, defer_orm=True)
    monkeypatch.setattr(ui_app, "FIRST_LEVEL_REFRESH_MS", 600_000)  # nothing else may start it
    answered_when_started: list[bool] = []
    start = store.start_integrity_check

    def start_check() -> None:
        answered_when_started.append(window.first_screen_answered())
        start()

    monkeypatch.setattr(store, "start_integrity_check", start_check)
    set_synchronous(False)
    controller = Application(QApplication.instance(), store)  # type: ignore[arg-type]
    window = controller.start()
    qtbot.addWidget(window)
    try:
        assert checks == [] and not window.first_screen_answered()
        qtbot.waitUntil(lambda: checks == ["check"], timeout=30000)
        assert answered_when_started == [True]
        assert window.today.model.rowCount() > 0 and window.cases.model.rowCount() > 0
    finally:
        controller.level_timer.stop()
        window.close()
        runner().wait_idle()
        store.close()
