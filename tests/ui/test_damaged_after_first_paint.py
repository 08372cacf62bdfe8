"""A database that fails the integrity check still closes the app with its sentence, although
the window now opens while the check runs (issue 16: ``PRAGMA quick_check`` takes longer than
building the window on 100,000 cases, so it no longer holds the first paint back).

The app runs ``ui.app.main`` in a fresh interpreter on a folder whose ``case_file`` table has a
damaged page (the schema and device rows read fine); the child answers the dialog and prints
its text and the exit code. Nothing in the folder may have changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fairdesk.test_store import damage_case_table

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

app = QApplication(["fairdesk"])
from ui import app as ui_app
from ui.main_window import MainWindow

seen = {"window_shown": False, "dialog": None}


def watch():
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.isVisible():
            seen["window_shown"] = True
    box = QApplication.activeModalWidget()
    if isinstance(box, QMessageBox):
        seen["dialog"] = box.text()
        box.done(0)
        return
    QTimer.singleShot(5, watch)


QTimer.singleShot(0, watch)
code = ui_app.main(["--data-dir", sys.argv[1], "--lang", "en"])
print("RESULT " + json.dumps({"code": code, **seen}), flush=True)
"""


def _files(folder: Path) -> dict[str, bytes]:
    # Logs may be written; anything else (a WAL, a backup, a new database) would be damage.
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.relative_to(folder).parts[0] != "logs"
    }


def test_a_damaged_database_found_after_the_window_opened_closes_the_app(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    damage_case_table(data_dir)
    before = _files(data_dir)
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, result.stdout + result.stderr
    found = json.loads(lines[0].removeprefix("RESULT "))
    assert found["code"] == 2  # ui.app.EXIT_STORE_ERROR
    assert "is damaged" in found["dialog"] and "Nothing was changed" in found["dialog"]
    assert _files(data_dir) == before
