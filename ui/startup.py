"""What ui/app.py does between creating the Qt application and opening the store.

1. Crash reports: every uncaught error writes ``<data>/logs/crash-*.txt`` and a notice says
   where (fairdesk/crashreport.py, ui/crash_notice.py); a native crash of the previous run
   is reported now.
2. First start: a new data folder gets the demo-or-empty question (ui/first_run.py).
3. Smoke test: with ``FAIRDESK_SMOKE_EXIT_MS=<ms>`` the app quits by itself after that
   long, printing one ``FAIRDESK_SMOKE`` line; exit code 0 only if the main window is shown
   and no crash report was written. With ``FAIRDESK_SMOKE_EXIT_MS=usable`` it quits as soon
   as the window is usable (Today and the first screen of Cases read and painted): the frozen
   app's check waits for that event, and its start-up benchmark times it
   (installer/check_frozen.py, tests/bench/bench_frozen.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from fairdesk import crashreport, firstrun
from ui.crash_notice import CrashNotifier

SMOKE_ENV = "FAIRDESK_SMOKE_EXIT_MS"
SMOKE_WHEN_USABLE = "usable"
SMOKE_POLL_MS = 2
EXIT_SMOKE_NO_WINDOW = 3
EXIT_SMOKE_CRASHED = 4

_notifier: CrashNotifier | None = None


def prepare(app: QApplication, data_dir: Path) -> bool:
    """Run the steps above; False means the user chose to quit at the first-start question."""
    global _notifier
    _notifier = CrashNotifier()
    reporter = crashreport.install(data_dir, notify=_notifier)
    if reporter.recovered is not None:
        _notifier(reporter.recovered)
    if firstrun.needs_first_run(data_dir):
        from ui.first_run import ask_first_run  # its dialog's widgets: only on a first start

        if not ask_first_run(data_dir):
            return False
    arm_smoke_exit(app)
    return True


def smoke_check(app: QApplication) -> tuple[int, str]:
    """Exit code and a one-line summary of what is on screen now."""
    windows = [w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
    reporter = crashreport.current()
    crashes = list(reporter.written) if reporter is not None else []
    if crashes:
        return EXIT_SMOKE_CRASHED, f"FAIRDESK_SMOKE crashed reports={[str(p) for p in crashes]}"
    if not windows:
        return EXIT_SMOKE_NO_WINDOW, "FAIRDESK_SMOKE no-window"
    from ui.main_window import MainWindow

    window = windows[0]
    size = window.size()
    line = (
        f"FAIRDESK_SMOKE ok title={window.windowTitle()!r} size={size.width()}x{size.height()} "
        f"platform={app.platformName()} frozen={bool(getattr(sys, 'frozen', False))}"
    )
    if isinstance(window, MainWindow):  # what the user sees: rows in Today and in Cases
        line += (
            f" today_rows={window.today.model.rowCount()} case_rows={window.cases.model.rowCount()}"
        )
    return 0, line


def _usable(app: QApplication) -> bool:
    from ui.main_window import MainWindow  # imported by now: ui.app.main imports it first

    return any(
        isinstance(w, MainWindow) and w.isVisible() and w.first_screen_answered()
        for w in app.topLevelWidgets()
    )


def arm_smoke_exit(app: QApplication) -> None:
    value = os.environ.get(SMOKE_ENV, "").strip()
    if not value.isdigit() and value != SMOKE_WHEN_USABLE:
        return

    def finish() -> None:
        code, line = smoke_check(app)
        print(line, flush=True)
        app.exit(code)

    def when_usable() -> None:
        if _usable(app) or smoke_check(app)[0] == EXIT_SMOKE_CRASHED:
            app.processEvents()  # the lists' rows painted, as the source benchmark waits for
            finish()
        else:
            QTimer.singleShot(SMOKE_POLL_MS, when_usable)

    if value == SMOKE_WHEN_USABLE:
        QTimer.singleShot(0, when_usable)
    else:
        QTimer.singleShot(int(value), finish)
