"""A placeholder that builds its real widget the first time it is shown.

Feature pages and case panels are created through factories (``ui.features``); building them
all while the main window opens imported every feature's modules (sync alone: requests and
pydantic, ~1.4 s) before the user saw anything. The main window and the case page put a
``LazyWidget`` in their stack / tab widget instead and call :meth:`LazyWidget.ensure` when it
becomes the current one. A factory that fails shows its error in place of the widget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from fairdesk.i18n import _
from ui.tasks import explain

log = logging.getLogger(__name__)


class LazyWidget(QWidget):
    def __init__(
        self,
        build: Callable[[], QWidget],
        failure_text: Callable[[Exception], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._build: Callable[[], QWidget] | None = build
        self._failure_text = failure_text
        self.content: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def built(self) -> bool:
        return self._build is None

    def ensure(self) -> QWidget | None:
        """Build the real widget now if it is not built yet; returns it (None if it failed)."""
        build, self._build = self._build, None
        if build is not None:
            try:
                self.content = build()
            except Exception as exc:  # one broken feature must not take the window down
                log.exception("a page or panel could not be created")
                failure = QLabel(self._failure_text(exc))
                failure.setObjectName("subtitle")
                failure.setWordWrap(True)
                failure.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self._layout.addWidget(failure)
                return None
            self._layout.addWidget(self.content)
        return self.content


def _incomplete(exc: Exception) -> str:
    return _(
        "This installation of FairDesk is incomplete ({error}); reinstall it. Your cases and "
        "evidence are not affected."
    ).format(error=exc)


def page_failure(exc: Exception) -> str:
    if isinstance(exc, ImportError):  # a module or a library it needs is missing
        return _incomplete(exc)
    return _("This page could not be shown: {error}").format(error=explain(exc))


def panel_failure(exc: Exception) -> str:
    if isinstance(exc, ImportError):
        return _incomplete(exc)
    return _("This panel could not be shown: {error}").format(error=explain(exc))


def ensure_built(widget: QWidget | None) -> None:
    """Build ``widget`` if it is a not-yet-built placeholder (slot for currentChanged)."""
    if isinstance(widget, LazyWidget):
        widget.ensure()
