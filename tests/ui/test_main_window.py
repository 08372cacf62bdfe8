"""Main window: shortcuts reach the pages, the status area takes indicators, and a change made
outside the window (another thread, sync, the CLI) shows up through the event bridge."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMenu
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.cases import CaseFilter
from fairdesk.store import Store
from ui.main_window import DEFAULT_SIZE, MainWindow
from ui.models.cases import COLUMNS

TITLE = next(i for i, c in enumerate(COLUMNS) if c.key == "title")


def _active_window(qtbot: QtBot, store: Store) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    handle = window.windowHandle()
    assert handle is not None
    handle.requestActivate()  # offscreen has no window manager to do it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.today.view.setFocus()
    return window


def test_shortcuts_switch_pages_and_focus_search(qtbot: QtBot, demo_store: Store) -> None:
    window = _active_window(qtbot, demo_store)
    assert window.size() == DEFAULT_SIZE and window.current_key() == "today"
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "cases"
    qtbot.keyClick(window.cases.view, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "today"
    qtbot.keyClick(window.today.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "cases"
    assert QApplication.focusWidget() is window.cases.search


def test_menus_have_their_titles_at_once_and_their_actions_on_the_first_turn(
    qtbot: QtBot, demo_store: Store
) -> None:
    window = MainWindow(demo_store)
    qtbot.addWidget(window)
    menus = window.menuBar().findChildren(QMenu)
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&View", "&Help"]
    assert all(not menu.actions() for menu in menus)  # filled after the first paint...
    qtbot.waitUntil(lambda: bool(menus[0].actions()))  # ...on the event loop's first turn
    texts = [a.text() for menu in menus for a in menu.actions() if a.text()]
    assert texts[:3] == ["New emergency…", "Fairs…", "Quit"]
    assert "About FairDesk" in texts
    shortcuts = [a.shortcut().toString() for menu in menus for a in menu.actions()]
    assert {"Ctrl+N", "Ctrl+Shift+F", "Ctrl+Q", "Ctrl+F", "F5", "Ctrl+1", "Ctrl+2"} <= set(
        shortcuts
    )
    window.fill_menus()  # asked again (an action wanted early): nothing is added twice
    assert [a.text() for menu in menus for a in menu.actions() if a.text()] == texts


def test_a_window_deleted_at_once_does_not_fill_its_menus_later(
    qtbot: QtBot, demo_store: Store
) -> None:
    window = MainWindow(demo_store)
    shiboken6.delete(window)  # before the event loop turns (e.g. a rebuilt window's old one)
    with qtbot.captureExceptions() as exceptions:
        QApplication.processEvents()
    assert exceptions == []


def test_status_area_takes_other_indicators(qtbot: QtBot, demo_store: Store) -> None:
    window = MainWindow(demo_store)
    qtbot.addWidget(window)
    window.status_layout.addWidget(QLabel("Sync: offline"))
    window.show()
    labels = [w.text() for w in window.status_area.findChildren(QLabel)]
    assert labels == ["Sync: offline"]
    assert demo_store.device.short_code in window.store_label.text()


def test_change_from_another_thread_reaches_the_open_views(qtbot: QtBot, demo_store: Store) -> None:
    window = MainWindow(demo_store)
    qtbot.addWidget(window)
    window.show()
    case = cases.list_cases(demo_store, CaseFilter(search="Hydraulic"))[0]
    window.open_case(case.id)
    # As sync would: the core edits on a worker thread and announces it there.
    worker = threading.Thread(
        target=cases.edit_case, args=(demo_store, case.id, cases.CaseEdit(title="Renamed by HQ"))
    )
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: window.case_detail.title.text() == "Renamed by HQ", timeout=30000)
    model = window.cases.model
    qtbot.waitUntil(
        lambda: (
            "Renamed by HQ" in [model.data(model.index(r, TITLE)) for r in range(model.rowCount())]
        ),
        timeout=30000,
    )
    # Back returns to the page the case was opened from.
    qtbot.mouseClick(window.case_detail.back_button, Qt.MouseButton.LeftButton)
    assert window.current_key() == "today"
