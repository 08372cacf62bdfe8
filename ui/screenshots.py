"""Render every main view in English and Chinese to PNG: ``python -m ui.screenshots OUTDIR``.

Uses a fresh demo data set in a temporary folder and a temporary settings file, so it never
touches the user's data. Run offscreen (``QT_QPA_PLATFORM=offscreen``); ``make screenshots``
does that. Files: ``<view>-<language>.png`` for today, cases, case, case-parties, fairs,
new-emergency, settings.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from fairdesk import cases
from fairdesk.cases import CaseFilter
from fairdesk.demo import fill_demo
from fairdesk.model import Level, Trigger
from fairdesk.store import open_store
from ui.app import Application, apply_language, create_application
from ui.main_window import MainWindow
from ui.tasks import runner, set_synchronous

VIEWS = ("today", "cases", "case", "case-parties", "fairs", "new-emergency", "settings")


def _settle(app: QApplication) -> None:
    for _round in range(5):
        runner().wait_idle()
        app.processEvents()


def _grab(widget: QWidget, path: Path, app: QApplication) -> None:
    _settle(app)
    widget.grab().save(str(path))


def render(window: MainWindow, language: str, out: Path, app: QApplication) -> list[Path]:
    written = []
    window.show_page("today")
    written.append(out / f"today-{language}.png")
    _grab(window, written[-1], app)
    window.show_page("cases")
    written.append(out / f"cases-{language}.png")
    _grab(window, written[-1], app)
    red = cases.list_cases(window.store, CaseFilter(levels=(Level.RED,)), sort="next_deadline")
    window.open_case(red[0].id)
    written.append(out / f"case-{language}.png")
    _grab(window, written[-1], app)
    # The served injunction: applicant, court with its file number, bailiff, counsel.
    served = next(r for r in red if r.trigger is Trigger.COURT_ORDER)
    window.open_case(served.id)
    page = window.case_detail
    page.tabs.setCurrentWidget(page.parties_editor)
    written.append(out / f"case-parties-{language}.png")
    _grab(window, written[-1], app)
    page.tabs.setCurrentIndex(0)
    fairs_dialog = window.show_fairs(select=cases.find_fair(window.store, "Hannover Messe").id)
    written.append(out / f"fairs-{language}.png")
    _grab(fairs_dialog, written[-1], app)
    fairs_dialog.reject()
    window.show_page("today")
    dialog = window.new_emergency()
    written.append(out / f"new-emergency-{language}.png")
    _settle(app)
    dialog.adjustSize()
    _grab(dialog, written[-1], app)
    dialog.reject()
    window.show_page("settings")
    written.append(out / f"settings-{language}.png")
    _grab(window, written[-1], app)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "build/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fairdesk-shots-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")  # throwaway settings
        app = create_application()
        store = open_store(Path(tmp) / "data")
        fill_demo(store)
        set_synchronous(True)  # every view fully loaded before it is grabbed
        controller = Application(app, store)
        written: list[Path] = []
        for language in ("en", "zh_CN"):
            apply_language(app, language)
            window = controller.build_window()
            written += render(window, language, out, app)
        if controller.window is not None:
            controller.window.close()
        store.close()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
