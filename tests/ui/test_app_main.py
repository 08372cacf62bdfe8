"""`ui.app.main()` as a user starts it: opens the window and remembers the data folder.

Run in a child process, as a real start is: after main() has run and quit in a process, the
offscreen platform keeps its closed window as the focus window, so windows that later tests in
the same process create could no longer be activated.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fairdesk.store import open_store
from ui import settings

# Quits once the main window is shown and prints the folder its store opened.
_CHILD = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ui import app as ui_app
from ui.main_window import MainWindow

def quit_when_shown():
    window = next((w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()), None)
    if window is None:
        QTimer.singleShot(20, quit_when_shown)
        return
    print("OPENED", window.store.data_dir, flush=True)
    window.close()
    QApplication.quit()

QTimer.singleShot(0, quit_when_shown)
sys.exit(ui_app.main(["--data-dir", sys.argv[1]]))
"""


def test_main_opens_the_window_and_remembers_the_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = dict(os.environ, FAIRDESK_FIRST_RUN="empty", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"OPENED {data.resolve()}" in done.stdout.splitlines()
    # The child wrote the setting to the same isolated config folder this test process reads.
    assert settings.LAST_DATA_DIR.get() == str(data.resolve())
    assert (data / "fairdesk.sqlite3").exists()


# A damaged installation: one part of the app (here sync, or argv[2]) cannot be imported. The
# dialog's text is printed instead of waiting for a click.
_BROKEN_CHILD = """
import sys
sys.modules[sys.argv[2]] = None  # what a missing package looks like to the import system
from PySide6.QtWidgets import QMessageBox

def show(box):
    print("DIALOG", box.windowTitle(), "|", box.text(), flush=True)
    return 0

QMessageBox.exec = show
from ui import app as ui_app
sys.exit(ui_app.main(["--data-dir", sys.argv[1]]))
"""


def _broken_start(data: Path, missing: str, **env: str) -> str:
    """Start the app with ``missing`` unimportable; the one dialog's line (exit code 3)."""
    done = subprocess.run(
        [sys.executable, "-c", _BROKEN_CHILD, str(data), missing],
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen", **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 3, done.stderr  # ui.app.EXIT_BROKEN_INSTALL
    dialogs = [line for line in done.stdout.splitlines() if line.startswith("DIALOG ")]
    assert len(dialogs) == 1, done.stdout
    assert dialogs[0].startswith("DIALOG FairDesk is not installed completely | ")
    return dialogs[0]


def test_a_missing_part_is_said_at_start_and_the_folder_is_not_touched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dialog = _broken_start(data, "ui.sync", FAIRDESK_FIRST_RUN="empty")
    assert "ui.sync" in dialog and "Reinstall FairDesk" in dialog
    assert "nothing in your data folder was changed" in dialog
    assert not data.exists()  # no folder created, no window with a tab silently missing


def test_a_missing_window_module_is_said_after_the_folder_was_only_read(tmp_path: Path) -> None:
    # The window's own module loads once the store is open and the first reads run (ui.app):
    # a module only it imports is found missing then. Same dialog; the database is unchanged.
    data = tmp_path / "data"
    open_store(data).close()
    database = data / "fairdesk.sqlite3"
    before = database.read_bytes()
    assert "ui.pages.cases" in _broken_start(data, "ui.pages.cases")
    assert database.read_bytes() == before
