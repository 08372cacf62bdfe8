"""Starting the app on an encrypted data folder: the passphrase is asked first, then the window opens.

The app runs in a child process (its own QApplication and global state), driven by a timer
that answers the unlock dialog the way a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fairdesk import cases
from fairdesk.cases import CaseInput
from fairdesk.crypto import keys
from fairdesk.model import Direction, Trigger
from fairdesk.store import open_store
from tests.conftest import TEST_PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]

DRIVER = r"""
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from fairdesk import cases
from ui import app as ui_app, tasks
from ui.main_window import MainWindow
from ui.protect.dialogs import UnlockDialog

data_dir, passphrase = sys.argv[1], sys.argv[2]
seen = {"asked": False}

def step():
    widgets = QApplication.topLevelWidgets()
    dialog = next((w for w in widgets if isinstance(w, UnlockDialog) and w.isVisible()), None)
    window = next((w for w in widgets if isinstance(w, MainWindow) and w.isVisible()), None)
    if dialog is not None and not seen["asked"]:
        seen["asked"] = True
        dialog.secret.setText(passphrase)
        dialog.submit()
    elif window is not None:
        seen["titles"] = [r.title for r in cases.list_cases(window.store)]
        window.close()
        QApplication.quit()
        return
    QTimer.singleShot(50, step)

QTimer.singleShot(0, step)
code = ui_app.main(["--data-dir", data_dir])
print("RESULT " + json.dumps({"code": code, **seen}), flush=True)
"""


@pytest.fixture
def encrypted_folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    setup = keys.create_keyfile(data, TEST_PASSPHRASE, params=keys.TEST_KDF)
    store = open_store(data, data_key=setup.data_key)
    cases.create_case(store, CaseInput("Secret strategy", Direction.AGAINST_US, Trigger.COMPLAINT))
    store.close()
    return data


def test_unlock_dialog_opens_the_encrypted_folder(encrypted_folder: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, str(encrypted_folder), TEST_PASSPHRASE],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line is not None, result.stderr[-3000:]
    outcome = json.loads(line.removeprefix("RESULT "))
    assert outcome == {"code": 0, "asked": True, "titles": ["Secret strategy"]}
