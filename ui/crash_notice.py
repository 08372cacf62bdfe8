"""Tells the user, in a dialog, that a crash report was written (fairdesk/crashreport.py).

The crash hook may run on any thread; the notice travels to the GUI thread through a
queued signal. One notice at a time: an error repeating in a loop must not stack dialogs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal

from fairdesk.crashreport import message_for
from fairdesk.i18n import _

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox


class CrashNotifier(QObject):
    """Callable from any thread with the report path; shows the notice on the GUI thread."""

    reported = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.box: QMessageBox | None = None
        self.shown: list[Path] = []
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def __call__(self, path: Path) -> None:
        self.reported.emit(str(path))

    def _show(self, path_text: str) -> None:
        # The dialog's classes load here: the notifier is created at every start, before the
        # window, and most runs never show it.
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices
        from PySide6.QtWidgets import QApplication, QMessageBox

        path = Path(path_text)
        self.shown.append(path)
        if self.box is not None and self.box.isVisible():
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("FairDesk ran into a problem"),
            message_for(path),
            QMessageBox.StandardButton.Ok,
            QApplication.activeWindow(),
        )
        folder = box.addButton(_("Show the folder"), QMessageBox.ButtonRole.ActionRole)
        folder.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._forget)
        self.box = box
        box.open()  # not exec(): no nested event loop inside an exception handler

    def _forget(self, _result: int = 0) -> None:
        self.box = None
