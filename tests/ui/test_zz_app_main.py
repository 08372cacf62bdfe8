"""`ui.app.main()` run in-process: opens the window and remembers the data folder.

Kept in its own file that sorts last: after main() has run and quit in this process, the
offscreen platform keeps its closed window as the focus window, so windows that later tests
create can no longer be activated (their keyboard shortcuts and lazy tabs never fire).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ui import app as ui_app
from ui import settings
from ui.main_window import MainWindow


def test_main_opens_the_window_and_remembers_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("FAIRDESK_FIRST_RUN", "empty")  # answer the first-start question
    shown: list[MainWindow] = []

    def quit_when_shown() -> None:
        window = QApplication.activeWindow() or next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, MainWindow) and w.isVisible()
            ),
            None,
        )
        if isinstance(window, MainWindow):
            shown.append(window)
            window.close()
            QApplication.quit()
        else:
            QTimer.singleShot(20, quit_when_shown)

    QTimer.singleShot(0, quit_when_shown)
    monkeypatch.setenv("FAIRDESK_FIRST_RUN", "empty")  # answers the first-start question
    assert ui_app.main(["--data-dir", str(data)]) == 0
    assert shown and shown[0].store.data_dir == data.resolve()
    assert settings.LAST_DATA_DIR.get() == str(data.resolve())
    assert (data / "fairdesk.sqlite3").exists()
