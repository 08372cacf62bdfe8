"""The window is shown before SQLAlchemy, Alembic or the ORM services are imported, and its
first screen (Today, Cases) lists exactly what the ORM services list.

Each start runs ``ui.app.main`` in a fresh interpreter (an import can only be observed once
per process) on a real data folder: one initialised with no case, one with the demo set plus
2,000 bulk-inserted cases; and once more through the installed ``fairdesk`` program with no
subcommand (``ui.program``), the way users and the desktop entry open the window. The child records ``sys.modules`` in the main window's showEvent,
then waits for the Today and Cases lists' first answers (signals, not time) and prints their
ids; the parent compares them with ``fairdesk.cases`` (SQLAlchemy) on the same folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fairdesk import cases
from fairdesk.demo import fill_demo
from fairdesk.store import open_store

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "alembic", "fairdesk.cases", "fairdesk.model", "fairdesk.knowledge", "sync")
# Not needed for a plain folder's first paint either (issue 16): the key derivation and the
# SQLCipher driver (encrypted folders only), package metadata (About, crash reports), the
# first-start dialog, the About dialog, Babel, uuid (new ids are made on the first write, not
# to show the lists), and OpenSSL through hashlib (~4 MB of the first paint's memory).
DEFERRED = (
    "cryptography",
    "argon2",
    "sqlcipher3",
    "_hashlib",
    "importlib.metadata",
    "ui.first_run",
    "ui.about",
    "babel",
    "uuid",
    # The Settings page (its form, zone field and module) is built when first shown.
    "ui.pages.settings",
    "ui.widgets.forms",
    # No executor before the first paint (the integrity check has a plain thread).
    "concurrent.futures",
)

CHILD = r"""
import json, linecache, sys, sysconfig
STDLIB = sysconfig.get_paths()["stdlib"]  # before PySide6: sysconfig reads more on first use
if sys.argv[4] == "program":  # as installed: the ui package is imported before any Qt
    import ui.program
    assert "PySide6" not in sys.modules
from PySide6.QtWidgets import QApplication

app = QApplication(["fairdesk"])
READ_BY_QT = set(linecache.cache)  # what PySide6 itself read so far (a bare window too)
from ui import app as ui_app
from ui.main_window import MainWindow

HEAVY = tuple(json.loads(sys.argv[2]))
seen = {}
original = MainWindow.showEvent


def show_event(self, event):
    if "at_show" not in seen:
        seen["at_show"] = sorted(
            m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HEAVY)
        )
        # Source files read so far (PySide6's per-module check reads them: ui.pyside_scan).
        roots = (sys.argv[3] + "/ui/", sys.argv[3] + "/fairdesk/", STDLIB)
        seen["sources_read"] = sorted(
            f for f in set(linecache.cache) - READ_BY_QT if f.startswith(roots)
        )
        self.today.reloaded.connect(lambda: answered("today"))
        self.cases.model.loaded.connect(lambda _count: answered("cases"))
        seen["window"] = self
    original(self, event)


def answered(which):
    seen.setdefault(which, True)
    if "today" in seen and "cases" in seen and "printed" not in seen:
        seen["printed"] = True
        window = seen["window"]
        print("RESULT " + json.dumps({
            "at_show": seen["at_show"],
            "sources_read": seen["sources_read"],
            "case_ids": window.cases.model.ids(),
            "deadline_ids": [row.id for row in window.today.model.rows()],
        }), flush=True)
        window.close()
        app.quit()


MainWindow.showEvent = show_event
if sys.argv[4] == "program":  # as users start it: the fairdesk program, no subcommand
    from ui.program import main as program
    sys.exit(program(["--data-dir", sys.argv[1], "--lang", "en"]))
sys.exit(ui_app.main(["--data-dir", sys.argv[1], "--lang", "en"]))
"""


def _bulk_fill(store: Any, count: int) -> None:
    spec = importlib.util.spec_from_file_location("bench_ui", ROOT / "tests/bench/bench_ui.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench._bulk_fill(store, count)


def _start(data_dir: Path, tmp_path: Path, entry: str = "window") -> dict[str, Any]:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(data_dir),
            json.dumps(HEAVY + DEFERRED),
            str(ROOT),
            entry,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, result.stdout + result.stderr
    found: dict[str, Any] = json.loads(lines[0].removeprefix("RESULT "))
    return found


@pytest.mark.parametrize(
    ("many", "entry"),
    [(False, "window"), (True, "window"), (True, "program")],
    ids=["no-case", "many-cases", "fairdesk-program"],
)
def test_window_shown_before_the_orm_and_lists_match_it(
    tmp_path: Path, many: bool, entry: str
) -> None:
    data_dir = tmp_path / "data"
    store = open_store(data_dir)
    try:
        if many:
            fill_demo(store)
            _bulk_fill(store, 2_000)
        # Levels as the app's own first re-level would leave them, so both reads agree.
        cases.refresh_levels(store, full=True)
        expected_cases = cases.case_ids(store)
        expected_deadlines = [row.id for row in cases.open_deadlines(store)]
    finally:
        store.close()
    assert (len(expected_cases) > 2_000) == many

    found = _start(data_dir, tmp_path, entry)

    # Nothing of SQLAlchemy, Alembic, the ORM, library or sync, nor of DEFERRED. Through the
    # program too: its subcommand modules import the ORM (~0.3 s before the window, once), and
    # the window's entry point is read through importlib.metadata (~15 ms).
    assert found["at_show"] == []
    # PySide6 read no source file of the standard library, the core or the UI to decide
    # whether its __feature__ switches apply there (~110 files, 27-58 ms on a loaded machine).
    assert found["sources_read"] == [], found["sources_read"]
    assert found["case_ids"] == expected_cases
    assert found["deadline_ids"] == expected_deadlines
    if many:
        assert found["deadline_ids"]


def test_no_ui_module_selects_a_pyside_feature() -> None:
    """ui.pyside_scan answers "uses PySide6, no feature" for every ui module without reading
    it: true only while none of them imports ``__feature__`` (snake_case, true_property)."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "ui").rglob("*.py"))
        if "from __feature__" in path.read_text("utf-8")
    ]
    assert offenders == []
