"""A damaged installation where sync's libraries are missing: the status bar says so where the
sync indicator would be, instead of the indicator silently never appearing."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

import ui.sync
from fairdesk.store import Store
from ui.main_window import MainWindow


def test_sync_that_cannot_load_is_said_in_the_status_bar(
    qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> None:
        raise ModuleNotFoundError("No module named 'requests'", name="requests")

    monkeypatch.setattr(ui.sync, "_import_sync_modules", missing)
    monkeypatch.setattr(ui.sync, "START_DELAY_MS", 0)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()

    def said() -> str:
        texts = [w.text() for w in window.status_area.findChildren(QLabel) if w.isVisible()]
        return next((t for t in texts if t.startswith("Sync is unavailable")), "")

    qtbot.waitUntil(lambda: bool(said()))
    assert said() == (
        "Sync is unavailable: this installation is incomplete (No module named 'requests')."
    )
    window.close()
