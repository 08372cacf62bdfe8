"""The same facts recorded in the New emergency dialog and on the command line get the same
level and rule (R6: a risk notice against us at a German fair is at least yellow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.model import Direction, Level, Trigger
from fairdesk.store import Store
from ui.main_window import MainWindow


def test_dialog_and_cli_give_the_same_level_and_rule(qtbot: QtBot, fair_store: Store) -> None:
    window = MainWindow(fair_store)
    qtbot.addWidget(window)
    window.show()
    dialog = window.new_emergency()
    dialog.trigger.set_value(Trigger.RISK_NOTICE)
    assert dialog.direction.value() is Direction.AGAINST_US
    assert dialog.fair.currentText().startswith("Hannover Messe")
    dialog._line(dialog.title).setText("Competitor announced action at the fair")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current_key() == "case")
    from_window = cases.get_case(fair_store, window.case_detail.case_id)
    assert (from_window.case.level, from_window.level_rule) == (Level.YELLOW, "R6")
    assert window.case_detail.level_rule.text().endswith(
        "Ex-parte court measures are possible in this country: at least yellow"
    )

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fairdesk",
            "--data-dir",
            str(fair_store.data_dir),
            "case",
            "new",
            "--title",
            "Same facts from the command line",
            "--trigger",
            "risk_notice",
            "--fair",
            "Hannover Messe",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FAIRDESK_LANG": "en"},
    )
    assert done.returncode == 0, done.stderr
    from_cli = json.loads(done.stdout)
    assert (from_cli["level"], from_cli["level_rule"]) == ("yellow", "R6")
    assert from_cli["situation"]["key"] == from_window.situation.situation.key()  # type: ignore[union-attr]
