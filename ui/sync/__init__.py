"""Sync in the desktop app: the Sync page, the status-bar indicator, the background worker and
the conflicts panel on the case page. Importing this package registers them (ui.extensions)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from fairdesk.i18n import _
from fairdesk.store import Store
from ui import extensions


def _sync_page(store: Store) -> QWidget:
    from ui.sync.controller import controller_for
    from ui.sync.indicator import SyncIndicator
    from ui.sync.page import SyncPage

    controller = controller_for(store)
    page = SyncPage(store, controller)

    def attach() -> None:
        # The main window builds its status bar after the pages: add the indicator then.
        window = page.window()
        layout = getattr(window, "status_layout", None)
        if layout is not None and window.findChild(SyncIndicator) is None:
            indicator = SyncIndicator(controller)
            layout.addWidget(indicator)
            indicator.show()  # added after the window was shown
            show_page = getattr(window, "show_page", None)
            if show_page is not None:
                indicator.clicked.connect(lambda: show_page("sync"))
        controller.start()

    QTimer.singleShot(0, attach)
    return page


def _conflicts_panel(store: Store, case_id: str) -> QWidget:
    from ui.sync.conflicts import ConflictsPanel

    return ConflictsPanel(store, case_id)


extensions.register_page(
    extensions.Page(key="sync", title=lambda: _("Sync"), factory=_sync_page, order=80)
)
extensions.register_case_panel(
    extensions.CasePanel(
        key="conflicts", title=lambda: _("Conflicts"), factory=_conflicts_panel, order=90
    )
)
