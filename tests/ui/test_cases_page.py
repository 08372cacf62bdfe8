"""Cases page with a real store: filters, search as you type (debounced), sorting, opening."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fairdesk.store import Store
from ui.models.cases import COLUMNS
from ui.pages.cases import CasesPage

TITLE = next(i for i, c in enumerate(COLUMNS) if c.key == "title")
LEVEL = next(i for i, c in enumerate(COLUMNS) if c.key == "level")
NUMBER = next(i for i, c in enumerate(COLUMNS) if c.key == "number")


def _texts(page: CasesPage, column: int) -> list[str]:
    model = page.model
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def test_search_as_you_type(qtbot: QtBot, demo_store: Store) -> None:
    page = CasesPage(demo_store)
    qtbot.addWidget(page)
    page.show()
    assert page.model.rowCount() == 14
    generation = page.model._generation
    qtbot.keyClicks(page.search, "hydrau")
    # The query runs once when the debounce timer fires, not on every key.
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=30000)
    assert page.model._generation == generation + 1
    assert "Hydraulic pump" in _texts(page, TITLE)[0]
    assert page.summary.text() == "1 case"
    page.search.clear()
    # Chinese arrives from the input method as a committed string, as with a real IME.
    ime = QInputMethodEvent()
    ime.setCommitString("榨汁")  # two characters inside a longer word
    QApplication.sendEvent(page.search, ime)
    qtbot.waitUntil(
        lambda: _texts(page, TITLE) == ["外观设计专利投诉：展位 11.2 C18 的便携式榨汁机"],
        timeout=30000,
    )
    page.search.clear()
    qtbot.keyClicks(page.search, "zzzzqqq")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # Enter searches at once
    assert page.model.rowCount() == 0
    # The field offers its clear button (turned on when the page is first shown).
    assert page.search.isClearButtonEnabled()


def test_filters_by_level_status_direction_and_fair(qtbot: QtBot, demo_store: Store) -> None:
    page = CasesPage(demo_store)
    qtbot.addWidget(page)
    page.level.setCurrentIndex(page.level.findText("Red"))
    assert page.model.rowCount() == 5
    assert set(_texts(page, LEVEL)) == {"Red"}
    page.direction.setCurrentIndex(page.direction.findText("By us (we found a copy)"))
    assert page.model.rowCount() == 1
    page.level.setCurrentIndex(0)
    page.direction.setCurrentIndex(0)
    page.status.setCurrentIndex(page.status.findText("Closed"))
    assert _texts(page, TITLE) == ["版权警告：展台宣传册图片"]
    page.status.setCurrentIndex(page.status.findText("Open and active"))
    assert page.model.rowCount() == 13
    page.status.setCurrentIndex(0)
    page.fair.setCurrentIndex(page.fair.findText("CES"))
    assert page.model.rowCount() == 2


def test_header_click_sorts(qtbot: QtBot, demo_store: Store) -> None:
    page = CasesPage(demo_store)
    qtbot.addWidget(page)
    page.show()
    header = page.view.horizontalHeader()
    x = header.sectionViewportPosition(NUMBER) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    numbers = _texts(page, NUMBER)
    assert numbers == sorted(numbers)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert _texts(page, NUMBER) == sorted(numbers, reverse=True)


def test_double_click_opens_the_case(qtbot: QtBot, demo_store: Store) -> None:
    page = CasesPage(demo_store)
    qtbot.addWidget(page)
    page.show()
    index = page.model.index(2, TITLE)
    rect = page.view.visualRect(index)
    # A double click is a press, release, then the double-click event (as the platform sends).
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(page.open_case) as signal:
        qtbot.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == [page.model.case_id(2)]
    # And from the keyboard: Enter on the selected row.
    qtbot.keyClick(page.view, Qt.Key.Key_Down)
    with qtbot.waitSignal(page.open_case) as signal:
        qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert signal.args == [page.model.case_id(3)]
