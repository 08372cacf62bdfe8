"""The main window: navigation on the left, pages on the right, menus with shortcuts, a status
bar with a slot (``status_area``) where other parts of the app (sync) add their indicators.

Pages: Today, Cases, the feature pages listed in ``ui.features.PAGES``, Settings; the case page
opens from any list. Core change events arrive through ``ui.qt_events`` on the GUI thread.
"""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFocusEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from fairdesk.events import Change
from fairdesk.i18n import _
from fairdesk.store import Store
from ui import features, sync
from ui.first_screen import FirstScreen
from ui.first_screen import start as start_first_screen
from ui.lazy import LazyWidget, ensure_built, page_failure
from ui.pages.cases import CasesPage
from ui.pages.today import TodayPage
from ui.qt_events import bridge
from ui.theme import STYLESHEET

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    # Imported on first use: they need the ORM services (fairdesk.cases), which load after
    # the first paint (Today and Cases read through fairdesk.quickread).
    from ui.pages.case_detail import CaseDetailPage
    from ui.pages.fairs_dialog import FairsDialog
    from ui.pages.new_emergency import NewEmergencyDialog
    from ui.pages.settings import SettingsPage  # built when first shown, like feature pages

DEFAULT_SIZE = QSize(1280, 800)
MINIMUM_SIZE = QSize(960, 620)


class NavigationList(QListWidget):
    """The page list on the left. While a case is open no row is current.

    Qt's item views make their first row current when they receive keyboard focus without a
    current row. Focus falls back to this list whenever the focused widget goes away — the
    Verify button disables itself while it runs, a tab switch hides the focused field — and
    the first row is Today: clicking a tab of an open case then showed Today. Gaining focus
    must never change the page, so that automatic choice is undone here.
    """

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self.currentRow() >= 0:
            super().focusInEvent(event)
            return
        self.blockSignals(True)
        try:
            super().focusInEvent(event)
            self.setCurrentIndex(QModelIndex())
        finally:
            self.blockSignals(False)


class MainWindow(QMainWindow):
    language_changed = Signal(str)
    usable = Signal()  # once: Today and the first screen of Cases have answered

    def __init__(self, store: Store, first_screen: FirstScreen | None = None) -> None:
        super().__init__()
        self.store = store
        # The first screen's reads start before any widget is built (ui.app starts them even
        # before this module loads), so the read pool answers them while the GUI thread builds
        # the window (~50 ms) instead of after it.
        today_rows, first_cases = first_screen or start_first_screen(store)
        self.setWindowTitle(_("FairDesk"))
        self.resize(DEFAULT_SIZE)
        self.setMinimumSize(MINIMUM_SIZE)
        self.setStyleSheet(STYLESHEET)

        self.navigation = NavigationList()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(200)
        self.navigation.setIconSize(QSize(18, 18))
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.today = TodayPage(store, early=today_rows)
        self.cases = CasesPage(store, early=first_cases)
        self._usable = False
        self.today.reloaded.connect(self._first_screen_step)
        self.cases.model.counted.connect(self._first_screen_step)
        self.cases.model.failed.connect(self._first_screen_step)
        self._case_detail: CaseDetailPage | None = None  # built when a case is first opened
        self._settings_page = LazyWidget(self._build_settings, page_failure)
        self.pages: list[tuple[str, str, QWidget]] = [
            ("today", _("Today"), self.today),
            ("cases", _("Cases"), self.cases),
        ]
        for page in features.PAGES:
            # Built when first opened: creating every feature page here imported all their
            # libraries before the window appeared (seconds on a slow laptop).
            lazy = LazyWidget(functools.partial(page.factory, store), page_failure)
            self.pages.append((page.key, page.title(), lazy))
        self.pages.append(("settings", _("Settings"), self._settings_page))
        for key, title, widget in self.pages:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(180, 40))
            self.navigation.addItem(item)
            self.stack.addWidget(widget)
        self.navigation.currentRowChanged.connect(self._nav_changed)
        self.stack.currentChanged.connect(lambda row: ensure_built(self.stack.widget(row)))

        self._build_status_bar()
        self._build_menus()

        self.today.open_case.connect(self.open_case)
        self.cases.open_case.connect(self.open_case)
        self._previous_page = 0

        # Many changes can arrive at once (an import, a sync pull): coalesce the list reloads.
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(250)
        self._reload_timer.timeout.connect(self.refresh_lists)
        bridge().changed.connect(self._core_changed)
        self.navigation.setCurrentRow(0)
        sync.start_with_window(self, store)  # the indicator and worker, after the first paint

    # -- building ---------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.store_label = QLabel(
            _("Device {code} · {path}").format(
                code=self.store.device.short_code, path=self.store.data_dir
            )
        )
        self.store_label.setObjectName("subtitle")
        bar.addWidget(self.store_label, 1)
        # Other parts of the app (the sync indicator) add their widgets to this layout.
        self.status_area = QWidget()
        self.status_layout = QHBoxLayout(self.status_area)
        self.status_layout.setContentsMargins(0, 0, 8, 0)
        self.status_layout.setSpacing(12)
        bar.addPermanentWidget(self.status_area)

    def _build_menus(self) -> None:
        """The menu bar's titles now; their actions on the event loop's first turn (below)."""
        bar = self.menuBar()
        self._file_menu = bar.addMenu(_("&File"))
        self._view_menu = bar.addMenu(_("&View"))
        self._help_menu = bar.addMenu(_("&Help"))
        self._actions: dict[str, QAction] = {}
        # Before the first paint no menu can be open and no key pressed yet, and importing
        # QAction and QKeySequence makes PySide6 build their Python enums (~6 ms of the start).
        QTimer.singleShot(0, self, self.fill_menus)  # dropped if the window is gone

    def fill_menus(self) -> None:
        """Add the menus' actions and shortcuts (once; anything that needs one calls this)."""
        if self._actions:
            return
        from PySide6.QtGui import QAction, QKeySequence

        def action(key: str, text: str, shortcut: str, slot: object) -> QAction:
            made = self._actions[key] = QAction(text, self)
            made.setShortcut(QKeySequence(shortcut))
            made.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            made.triggered.connect(slot)
            return made

        file_menu, view_menu = self._file_menu, self._view_menu
        file_menu.addAction(action("new", _("New emergency…"), "Ctrl+N", self.new_emergency))
        file_menu.addAction(
            action("fairs", _("Fairs…"), "Ctrl+Shift+F", lambda _checked=False: self.show_fairs())
        )
        file_menu.addSeparator()
        file_menu.addAction(action("quit", _("Quit"), "Ctrl+Q", self.close))
        view_menu.addAction(action("search", _("Search cases"), "Ctrl+F", self.focus_search))
        view_menu.addAction(action("refresh", _("Refresh"), "F5", self.refresh_all))
        view_menu.addSeparator()
        for number, (key, title, _widget) in enumerate(self.pages, start=1):
            if number > 9:
                break
            view_menu.addAction(
                action(
                    f"page:{key}",
                    title,
                    f"Ctrl+{number}",
                    lambda _checked=False, row=number - 1: self.go_to(row),
                )
            )
        self._help_menu.addAction(action("about", _("About FairDesk"), "", self._show_about))

    @property
    def new_action(self) -> QAction:
        self.fill_menus()
        return self._actions["new"]

    @property
    def fairs_action(self) -> QAction:
        self.fill_menus()
        return self._actions["fairs"]

    def _show_about(self) -> None:
        from ui import about  # its dialog's widgets: on first use, not before the first paint

        about.show_about(self)

    def _build_settings(self) -> QWidget:
        from ui.pages.settings import SettingsPage

        page = SettingsPage(self.store)
        page.language_changed.connect(self.language_changed)
        page.saved.connect(self.today.reload)
        return page

    @property
    def settings(self) -> SettingsPage:
        """The Settings page, built now if it was not yet (it is not needed for the first
        paint: its module, form and zone field cost ~4 ms of the start-up)."""
        from ui.pages.settings import SettingsPage

        page = self._settings_page.ensure()
        if not isinstance(page, SettingsPage):
            raise RuntimeError("the Settings page could not be built")
        return page

    # -- navigation -------------------------------------------------------------------------

    @property
    def case_detail(self) -> CaseDetailPage:
        if self._case_detail is None:
            from ui.pages.case_detail import CaseDetailPage

            page = CaseDetailPage(self.store)
            page.back.connect(self.go_back)
            self.stack.addWidget(page)
            self._case_detail = page
        return self._case_detail

    def showing_case(self) -> bool:
        return self._case_detail is not None and self.stack.currentWidget() is self._case_detail

    def page_widget(self, key: str) -> QWidget | None:
        """The page's real widget (built now if it was not yet); None if it failed to build."""
        widget = self.pages[self.page_index(key)][2]
        return widget.ensure() if isinstance(widget, LazyWidget) else widget

    def page_index(self, key: str) -> int:
        return next(i for i, (k, _t, _w) in enumerate(self.pages) if k == key)

    def go_to(self, row: int) -> None:
        self.navigation.setCurrentRow(row)
        self.stack.setCurrentIndex(row)

    def show_page(self, key: str) -> None:
        self.go_to(self.page_index(key))

    def first_screen_answered(self) -> bool:
        """Today and the first screen of Cases have been read and shown (or their failure is
        said): the window is usable."""
        return self.today.answered and self.cases.model.answered

    def _first_screen_step(self, *_answer: object) -> None:
        if not self._usable and self.first_screen_answered():
            self._usable = True
            self.usable.emit()

    def current_key(self) -> str:
        if self.showing_case():
            return "case"
        return self.pages[self.stack.currentIndex()][0]

    def _nav_changed(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)

    def open_case(self, case_id: str) -> None:
        if not self.showing_case():
            self._previous_page = self.stack.currentIndex()
        self.case_detail.show_case(case_id)
        self.stack.setCurrentWidget(self.case_detail)
        self.navigation.blockSignals(True)
        self.navigation.clearSelection()
        self.navigation.setCurrentRow(-1)
        self.navigation.blockSignals(False)

    def go_back(self) -> None:
        self.go_to(self._previous_page)

    def focus_search(self) -> None:
        self.show_page("cases")
        self.cases.focus_search()

    def new_emergency(self) -> NewEmergencyDialog:
        from ui.pages.new_emergency import NewEmergencyDialog

        dialog = NewEmergencyDialog(self.store, self)
        dialog.created.connect(self.open_case)
        dialog.finished.connect(dialog.deleteLater)  # one dialog per emergency, not kept
        dialog.open()
        return dialog

    def show_fairs(self, select: str = "") -> FairsDialog:
        from ui.pages.fairs_dialog import FairsDialog

        dialog = FairsDialog(self.store, self, select=select)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def refresh_lists(self) -> None:
        self.today.reload()
        self.cases.reload()

    def refresh_all(self) -> None:
        self.refresh_lists()
        if self.showing_case():
            self.case_detail.reload()

    def _core_changed(self, kind: str, object_id: str) -> None:
        if kind in (Change.CASE, Change.LEVELS, Change.FAIR):
            self._reload_timer.start()
        if kind == Change.CASE and self.showing_case() and object_id == self.case_detail.case_id:
            self.case_detail.reload()

    def closeEvent(self, event: QCloseEvent) -> None:
        with contextlib.suppress(RuntimeError, TypeError):  # already disconnected
            bridge().changed.disconnect(self._core_changed)
        super().closeEvent(event)
