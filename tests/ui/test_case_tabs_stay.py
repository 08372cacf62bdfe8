"""Clicking the tabs of an open case keeps the case on screen, also after Verify on the
Evidence tab (reported: about half of 20 tab clicks landed on Today)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fairdesk.evidence import importer
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo
from ui.evidence.panel import EvidencePanel
from ui.lazy import LazyWidget
from ui.main_window import MainWindow


def _click_tab(qtbot: QtBot, window: MainWindow, index: int) -> None:
    bar = window.case_detail.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def test_tab_clicks_after_verify_stay_on_the_case(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:

    case_id = new_case(store)
    importer.import_paths(store, case_id, [photo(tmp_path / "booth.jpg", (320, 240), seed=1)])
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    window.open_case(case_id)
    tabs = window.case_detail.tabs
    evidence = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Evidence")
    _click_tab(qtbot, window, evidence)
    lazy = tabs.widget(evidence)
    assert isinstance(lazy, LazyWidget)
    panel = lazy.ensure()
    assert isinstance(panel, EvidencePanel)
    qtbot.mouseClick(panel.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.last_verify is not None)
    landed = []
    for click in range(20):
        _click_tab(qtbot, window, click % tabs.count())
        QApplication.processEvents()
        landed.append(window.current_key())
    assert landed == ["case"] * 20, landed
