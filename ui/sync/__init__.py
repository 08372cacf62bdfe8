"""Sync in the desktop app: the Sync page, the status-bar indicator, the background worker and
the conflicts panel on the case page. The main window calls :func:`start_with_window`; the page
and the panel are listed in ``ui.features``."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from fairdesk.i18n import _
from fairdesk.store import Store
from ui.tasks import runner

# Sync is not needed in the first seconds of a start (offline-first: edits queue in the
# outbox). Its modules (requests, pydantic: ~1.4 s) are imported on a worker thread a moment
# after the window appears, so neither the window nor the typing waits for them.
START_DELAY_MS = 1500


def _import_sync_modules() -> None:
    import ui.sync.controller
    import ui.sync.indicator  # noqa: F401


def _attach(window: QWidget, store: Store) -> None:
    """Add the status-bar indicator to ``window`` and start the worker (once per window)."""
    from ui.sync.controller import controller_for
    from ui.sync.indicator import SyncIndicator

    layout = getattr(window, "status_layout", None)
    if layout is None or window.findChild(SyncIndicator) is not None:
        return
    controller = controller_for(store)
    indicator = SyncIndicator(controller)
    layout.addWidget(indicator)
    indicator.show()  # added after the window was shown
    show_page = getattr(window, "show_page", None)
    if show_page is not None:
        indicator.clicked.connect(lambda: show_page("sync"))
    controller.start()


def start_with_window(window: QMainWindow, store: Store) -> None:
    """Add the status-bar indicator and start the worker, a moment after ``window`` is shown."""

    def imported(_result: object) -> None:
        _attach(window, store)

    def failed(exc: BaseException) -> None:
        # A broken install (a library sync needs is missing): said where the indicator would
        # be, instead of a status bar that silently never shows sync.
        layout = getattr(window, "status_layout", None)
        if layout is not None:
            message = QLabel(unavailable_text(exc))
            message.setObjectName("fieldError")  # the red of every error sentence
            layout.addWidget(message)
            message.show()

    def load() -> None:
        runner().run(
            _import_sync_modules, pool="network", on_done=imported, on_error=failed, owner=window
        )

    QTimer.singleShot(START_DELAY_MS, window, load)


def unavailable_text(exc: BaseException) -> str:
    return _("Sync is unavailable: this installation is incomplete ({error}).").format(error=exc)


def sync_page(store: Store) -> QWidget:
    from ui.sync.controller import controller_for
    from ui.sync.page import SyncPage

    page = SyncPage(store, controller_for(store))
    # Opened before the delayed start: attach now (the page is in the window by then).
    QTimer.singleShot(0, page, lambda: _attach(page.window(), store))
    return page
