"""Today: red cases first, soonest first, live countdowns from the clock, overdue in red,
deadlines in fair time and home time side by side."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QFont
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.store import Store
from tests.ui.conftest import NOW
from ui import settings
from ui.clock import clock
from ui.formatting import local_time
from ui.pages import today
from ui.pages.today import TodayPage
from ui.tasks import runner, set_synchronous
from ui.theme import OVERDUE_TEXT


def _cell(
    page: TodayPage, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole
) -> object:
    return page.model.data(page.model.index(row, column), role)


def test_today_lists_red_first_with_countdowns(qtbot: QtBot, fair_store: Store) -> None:
    page = TodayPage(fair_store)
    qtbot.addWidget(page)
    assert page.model.rowCount() == 3
    assert _cell(page, 0, 0) == "Red"
    assert _cell(page, 0, 1) == "in 2h 00m"
    assert "Injunction: hydraulic pump" in str(_cell(page, 0, 2))
    assert _cell(page, 1, 1) == "in 1d 06h"
    assert page.summary.text() == "Open deadlines: 3 · overdue: 0 · red cases: 1"
    # The red case's countdown is bold; another case's, not yet due, in the table's own font.
    bold = _cell(page, 0, 1, Qt.ItemDataRole.FontRole)
    assert isinstance(bold, QFont) and bold.bold()
    assert _cell(page, 1, 1, Qt.ItemDataRole.FontRole) is None


def test_fair_time_and_home_time_side_by_side(qtbot: QtBot, fair_store: Store) -> None:
    settings.HOME_TIME_ZONE.set("Asia/Shanghai")
    page = TodayPage(fair_store)
    qtbot.addWidget(page)
    due = NOW + timedelta(hours=2)
    assert _cell(page, 0, 4) == local_time(due, "Europe/Berlin", year=False)
    assert _cell(page, 0, 5) == local_time(due, "Asia/Shanghai", year=False)
    assert str(_cell(page, 0, 4)).endswith(("CET", "CEST"))
    # China's zone is written as Beijing time, never the ambiguous "CST".
    assert str(_cell(page, 0, 5)).endswith("Beijing time")


def test_countdown_ticks_without_querying_and_shows_overdue(
    qtbot: QtBot, fair_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = TodayPage(fair_store)
    qtbot.addWidget(page)
    calls: list[int] = []

    def counted(*args: object, **kwargs: object) -> list[object]:
        calls.append(1)
        return []

    monkeypatch.setattr(fair_store.reader, "open_deadlines", counted)
    clock().set_fixed(NOW + timedelta(hours=4, minutes=10))
    clock().set_fixed(NOW + timedelta(hours=4, minutes=10, seconds=1))
    assert calls == []  # ticks never reach the database
    assert _cell(page, 0, 1) == "overdue by 2h 10m"
    colour = _cell(page, 0, 1, Qt.ItemDataRole.ForegroundRole)
    assert isinstance(colour, QColor) and colour.name().upper() == OVERDUE_TEXT
    assert "overdue: 1" in page.summary.text()
    # ... and painted in that colour (a QColor, not a QBrush: Qt's delegate converts it).
    page.resize(1000, 400)
    page.show()
    qtbot.waitExposed(page)
    rect = page.view.visualRect(page.model.index(0, 1))
    image = page.view.viewport().grab(rect).toImage()
    overdue = QColor(OVERDUE_TEXT)
    assert any(
        image.pixelColor(x, y) == overdue
        for x in range(image.width())
        for y in range(image.height())
    )


def test_done_deadline_leaves_today(qtbot: QtBot, fair_store: Store) -> None:
    page = TodayPage(fair_store)
    qtbot.addWidget(page)
    first = page.model.row_at(0)
    cases.set_deadline_done(fair_store, first.id)
    page.reload()
    assert page.model.rowCount() == 2
    assert all(row.id != first.id for row in page.model.rows())


def test_double_click_opens_case(qtbot: QtBot, fair_store: Store) -> None:
    page = TodayPage(fair_store)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.open_case) as signal:
        page.view.activated.emit(page.model.index(0, 2))
    assert signal.args == [page.model.row_at(0).case_id]


def test_a_failed_read_is_said_and_the_rows_shown_stay(
    qtbot: QtBot, fair_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = TodayPage(fair_store)
    qtbot.addWidget(page)
    assert page.model.rowCount() == 3 and page.answered

    def unreadable(*args: object, **kwargs: object) -> list[object]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(fair_store.reader, "open_deadlines", unreadable)
    page.reload()
    # Before, the failure went to the log only: the summary went on saying "Open deadlines: 3".
    assert page.summary.text().startswith("The deadlines could not be read. ")
    assert "nothing already saved was lost" in page.summary.text()
    assert page.model.rowCount() == 3  # what was read before is still there

    fresh = TodayPage(fair_store)  # a page whose very first read fails
    qtbot.addWidget(fresh)
    assert fresh.answered and fresh.model.rowCount() == 0
    assert fresh.summary.text().startswith("The deadlines could not be read. ")


def test_a_capped_list_counts_every_open_deadline(
    qtbot: QtBot, fair_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Today lists at most TODAY_LIMIT deadlines (500); here 2 of the 3. The summary must count
    # all three, not the rows it holds, and say that only the most urgent are listed.
    monkeypatch.setattr(today, "TODAY_LIMIT", 2)
    page = TodayPage(fair_store)
    qtbot.addWidget(page)
    assert page.model.rowCount() == 2 and page.capped()
    assert _cell(page, 0, 0) == "Red"
    assert page.summary.text() == (
        "Open deadlines: 3 · overdue: 0 · red cases: 1 · the 2 most urgent are listed"
    )
    # The red case's deadline falls due: the count is read again, not taken from the rows.
    calls: list[object] = []
    counts = fair_store.reader.deadline_counts

    def counted(now: object) -> object:
        calls.append(now)
        return counts(now)  # type: ignore[arg-type]

    monkeypatch.setattr(fair_store.reader, "deadline_counts", counted)
    clock().set_fixed(NOW + timedelta(hours=2, minutes=1))
    assert len(calls) == 1
    assert page.summary.text().startswith("Open deadlines: 3 · overdue: 1 · red cases: 1")
    clock().set_fixed(NOW + timedelta(hours=2, minutes=2))
    assert len(calls) == 1  # no listed deadline fell due since: no query on this tick


def test_a_list_under_the_cap_is_counted_from_its_rows(
    qtbot: QtBot, fair_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(now: object) -> object:
        raise AssertionError("counted in SQL although every open deadline is listed")

    monkeypatch.setattr(fair_store.reader, "deadline_counts", never)
    page = TodayPage(fair_store)
    qtbot.addWidget(page)
    assert not page.capped()
    assert page.summary.text() == "Open deadlines: 3 · overdue: 0 · red cases: 1"


def test_an_older_read_that_answers_last_does_not_replace_the_newer_list(
    qtbot: QtBot, fair_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two reloads overlap on the two read threads; the first one's rows arrive last. Before,
    Today then showed the older list (here: a deadline already ticked done) until the next
    change."""
    page = TodayPage(fair_store)
    qtbot.addWidget(page)
    assert page.model.rowCount() == 3
    real = fair_store.reader.open_deadlines
    before = real()
    release = threading.Event()
    calls: list[int] = []

    def reads(**kwargs: object) -> list[object]:
        calls.append(1)
        if len(calls) == 1:  # the older read: the old list, answered only after the newer one
            release.wait(30)
            return list(before)
        return list(real(**kwargs))  # type: ignore[arg-type]

    monkeypatch.setattr(fair_store.reader, "open_deadlines", reads)
    set_synchronous(False)
    try:
        page.reload()
        done_id = before[0].id
        cases.set_deadline_done(fair_store, done_id)
        page.reload()
        qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=30000)
    finally:
        release.set()
    runner().wait_idle()
    QCoreApplication.processEvents()  # deliver the older answer, queued by now: it is dropped
    assert page.model.rowCount() == 2
    assert done_id not in [row.id for row in page.model.rows()]
