"""Start the desktop app: ``fairdesk [--data-dir DIR] [--lang en|zh_CN]`` with no subcommand.

Order matters: the Qt application and the bundled font first (so even the error dialog shows
Chinese), then the language, then the data folder. A folder that cannot be used safely
(read-only, full, newer schema, damaged) gives a dialog in words and a non-zero exit; nothing
is created in its place. Every part of the app (evidence, documents, knowledge, sync,
security) always ships and is imported plainly through the main window (``ui.features``); an
installation missing one of them gets a dialog saying so at start, not a window with a tab
silently missing.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

# The imports below (Qt, the UI) create many objects and no garbage: the cyclic collector would
# only walk them again and again. Paused while they load, re-enabled right after. SQLAlchemy,
# Alembic and the ORM are not among them: the first screen is read with plain sqlite3
# (fairdesk.quickread) and they load on a worker after the window is shown.
# ruff: noqa: E402
_gc_was_enabled = gc.isenabled()
gc.disable()

from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from fairdesk import firstrun
from fairdesk.crypto import keys
from fairdesk.errors import StoreError
from fairdesk.events import Change
from fairdesk.i18n import LANGUAGES, _, set_language
from fairdesk.paths import resolve_data_dir
from fairdesk.resources import resource_path
from fairdesk.store import Store, open_store
from ui import settings, startup
from ui.clock import clock
from ui.fonts import apply_app_font
from ui.qt_events import bridge
from ui.tasks import runner

if TYPE_CHECKING:
    from ui.main_window import MainWindow

_broken_install: ImportError | None = None
try:
    # Every part the window lists (ui.features, ui.sync) and the first screen's reads. Caught
    # so that a damaged installation is told in a dialog (main), which needs the Qt
    # application first, before the data folder is touched. The window's own module loads in
    # main(), once those reads are running (ui/first_screen.py).
    from ui import features, sync  # noqa: F401
    from ui.first_screen import FirstScreen
    from ui.first_screen import start as start_first_screen
except ImportError as exc:
    _broken_install = exc

if _gc_was_enabled:
    gc.enable()

log = logging.getLogger(__name__)
LEVEL_REFRESH_MS = 60_000
# The first level refresh waits this long after the window is shown. Levels are already stored
# (every edit re-levels its case), so only cases whose deadline came within 24 h while the app
# was closed can be out of date: they turn red 2 s after start instead of before the first
# paint, and the lists reload then (levels_changed). Run at once, the refresh imported the
# reference library and held the single writer/GIL while Today and Cases were being read.
FIRST_LEVEL_REFRESH_MS = 2_000
EXIT_STORE_ERROR = 2
EXIT_BROKEN_INSTALL = 3


def _cases_to_relevel(store: Store, *, full: bool) -> list[str]:
    from fairdesk import cases  # the ORM services: imported on a worker, never before paint

    return cases.cases_to_relevel(store, full=full)


def _relevel_cases(store: Store, case_ids: list[str]) -> int:
    from fairdesk import cases

    return cases.relevel_cases(store, case_ids)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fairdesk", add_help=False)
    parser.add_argument("--data-dir")
    parser.add_argument("--lang", choices=sorted(LANGUAGES))
    args, _unknown = parser.parse_known_args(list(argv))
    return args


def choose_language(option: str | None) -> str:
    """--lang, else the saved setting, else FAIRDESK_LANG / LANG, else English."""
    if option:
        return option
    saved = settings.LANGUAGE.get()
    if saved:
        return saved
    env = os.environ.get("FAIRDESK_LANG") or os.environ.get("LANG", "")
    return "zh_CN" if env.startswith("zh") else "en"


_translators: list[QTranslator] = []


def apply_language(app: QApplication, language: str) -> None:
    """Our catalog plus Qt's own strings (standard buttons, dialogs) in ``language``."""
    set_language(language)
    for translator in _translators:
        app.removeTranslator(translator)
    _translators.clear()
    if language != "en":
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        translator = QTranslator(app)
        if translator.load(f"qtbase_{language}", folder):
            app.installTranslator(translator)
            _translators.append(translator)
        else:
            log.warning("Qt translations for %s not found in %s", language, folder)
    QLocale.setDefault(QLocale(language))


def create_application(argv: Sequence[str] = ()) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(["fairdesk", *argv])
    app.setApplicationName("FairDesk")
    app.setOrganizationName("FairDesk")
    app.setWindowIcon(QIcon(str(resource_path("icons", "fairdesk.svg"))))
    apply_app_font(app)
    return app


def broken_install_dialog(error: ImportError) -> None:
    from PySide6.QtWidgets import QMessageBox  # its classes and enums: only when it is shown

    box = QMessageBox(
        QMessageBox.Icon.Critical,
        _("FairDesk is not installed completely"),
        _(
            "Part of FairDesk is missing from this computer ({error}). Reinstall FairDesk; "
            "nothing in your data folder was changed."
        ).format(error=error),
    )
    box.exec()


def store_error_dialog(message: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(
        QMessageBox.Icon.Critical,
        _("FairDesk cannot open its data"),
        message + "\n\n" + _("Nothing was changed. FairDesk will close now."),
    )
    box.exec()


class Application:
    """Owns the store, the main window and the level refresh timer for one run."""

    def __init__(self, app: QApplication, store: Store) -> None:
        self.app = app
        self.store = store
        self.window: MainWindow | None = None
        self._verifying = False
        bridge().changed.connect(self._core_changed)
        self.level_timer = QTimer()
        self.level_timer.setInterval(LEVEL_REFRESH_MS)
        self.level_timer.timeout.connect(self.refresh_levels)

    def start(self, first_screen: FirstScreen | None = None) -> MainWindow:
        self.level_timer.start()
        QTimer.singleShot(FIRST_LEVEL_REFRESH_MS, self._after_first_paint)
        clock().start()
        window = self.build_window(first_screen)
        # The integrity check of a deferred open waits for the first screen (on a two-core
        # laptop it would take a core from those reads); then it runs first on the single
        # writer, so every write queued there waits for its answer (fairdesk.store.Store.verify).
        if window.first_screen_answered():
            self._verify_store()
        else:
            window.usable.connect(self._verify_store)
        # Everything created so far lives as long as the app: move it out of the garbage
        # collector's reach, so a full collection while the user types takes a few ms,
        # not tens of ms (a full pass over Qt wrappers and SQLAlchemy's caches).
        gc.freeze()
        return window

    def _verify_store(self) -> None:
        if self._verifying:
            return
        self._verifying = True
        self.store.start_integrity_check()
        runner().run(self.store.verify, pool="db", on_error=self._store_unusable)

    def _store_unusable(self, exc: BaseException) -> None:
        """The database failed the integrity check: the same dialog as before the window, then
        the app closes; nothing was written (the engine is never created)."""
        if not isinstance(exc, StoreError):
            log.warning("the integrity check could not run: %s", exc)
            return
        self.level_timer.stop()
        if self.window is not None:
            self.window.hide()
        store_error_dialog(str(exc))
        self.app.exit(EXIT_STORE_ERROR)

    def _after_first_paint(self) -> None:
        # On the single writer, in this order: the integrity check's answer (if the first
        # screen never answered, it starts now), the ORM and the engine load (the store was
        # opened without them) and the shipped fairs are added if new ones came; then the
        # first pass re-levels every case: it mends rows levelled by older versions.
        self._verify_store()
        runner().run(
            self.store.finish_opening,
            pool="db",
            on_error=lambda exc: log.warning("finishing the store failed: %s", exc),
        )
        self.refresh_levels(full=True)

    def _core_changed(self, kind: str, _object_id: str) -> None:
        if kind == Change.REFERENCE:  # R6 reads the library: re-level every case
            self.refresh_levels(full=True)

    def refresh_levels(self, full: bool = False) -> None:
        # Deadlines come closer as time passes; R2 ("due within 24 h") must fire on its own.
        # Which cases to re-level is read beside the single writer (a full pass over 100,000
        # cases takes seconds, and saving a new case must not wait for it); only writing
        # the few it found goes through the writer.
        runner().run(
            _cases_to_relevel,
            self.store,
            full=full,
            pool="read",
            on_done=self._relevel,
            on_error=self._refresh_failed,
        )

    def _relevel(self, case_ids: list[str]) -> None:
        # One writer job per chunk, the next queued when one is done: a case saved meanwhile
        # is written between two chunks, not after every stale case of a large folder (a
        # library update can make thousands stale).
        if not case_ids:
            return
        from fairdesk.cases.levels import FULL_REFRESH_CHUNK  # loaded by the read pass

        chunk, rest = case_ids[:FULL_REFRESH_CHUNK], case_ids[FULL_REFRESH_CHUNK:]
        runner().run(
            _relevel_cases,
            self.store,
            chunk,
            pool="db",
            on_done=lambda _changed: self._relevel(rest),
            on_error=self._refresh_failed,
        )

    def _refresh_failed(self, exc: BaseException) -> None:
        log.warning("level refresh failed: %s", exc)

    def build_window(self, first_screen: FirstScreen | None = None) -> MainWindow:
        from ui.main_window import MainWindow  # loaded by main() once the store is open

        old = self.window
        window = MainWindow(self.store, first_screen)
        window.language_changed.connect(self.change_language)
        if old is not None:
            window.setGeometry(old.geometry())
            key = old.current_key()
            if key != "case":
                window.show_page(key)
            else:
                window.open_case(old.case_detail.case_id)
        self.window = window
        window.show()
        if old is not None:
            old.close()
            old.deleteLater()
        return window

    def change_language(self, language: str) -> None:
        """Rebuild the window in the new language; nothing is lost, no restart needed."""
        apply_language(self.app, language)
        self.build_window()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = create_application()
    apply_language(app, choose_language(args.lang))
    if _broken_install is not None:
        log.error("the app is incomplete", exc_info=_broken_install)
        broken_install_dialog(_broken_install)
        return EXIT_BROKEN_INSTALL
    data_dir = resolve_data_dir(args.data_dir)
    asked_first_run = firstrun.needs_first_run(data_dir) and firstrun.preset() is None
    if not startup.prepare(app, data_dir):  # crash reports, first-start question, smoke exit
        return 0
    data_key = None
    # Unlock an encrypted folder; offer encryption right after an interactive first start
    # (on by default for new installs). Existing plain folders are offered it in Security.
    if keys.is_encrypted(data_dir) or asked_first_run:
        from ui import protect

        data_key = protect.unlock_or_setup(data_dir)
        if data_key == protect.CANCELLED:
            return 0
    try:
        store = open_store(data_dir, data_key=data_key, defer_orm=True)
    except StoreError as exc:
        store_error_dialog(str(exc))
        return EXIT_STORE_ERROR
    # The first screen's reads run while the window's module loads and the window is built.
    first_screen = start_first_screen(store)
    try:
        from ui import main_window  # noqa: F401
    except ImportError as exc:  # one of the window's own modules: the folder was only read
        log.error("the app is incomplete", exc_info=exc)
        runner().wait_idle()
        store.close()
        broken_install_dialog(exc)
        return EXIT_BROKEN_INSTALL
    settings.LAST_DATA_DIR.set(str(store.data_dir))
    controller = Application(app, store)
    controller.start(first_screen)
    if store.data_key is not None:
        from ui import protect

        protect.install(app, store)  # idle lock and Ctrl+L
    try:
        return app.exec()
    finally:
        if store.data_key is not None:
            from ui import protect

            protect.uninstall()
        runner().wait_idle()
        store.close()


if __name__ == "__main__":
    sys.exit(main())
