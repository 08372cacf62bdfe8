"""The first-start dialog: demo data to try FairDesk out, or an empty start for real work.

Shown by ui/startup.py before the store is opened when :func:`fairdesk.firstrun.needs_first_run`
says the data folder is new. Closing it creates nothing and quits. Creating the folder (and
the demo cases) runs on the db worker, so the window stays responsive.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fairdesk import firstrun
from fairdesk.i18n import _
from fairdesk.resources import resource_path
from ui.tasks import explain, runner
from ui.theme import RED


class FirstRunDialog(QDialog):
    """Asks how to start; ``result`` holds what was created once the dialog is accepted."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.result_info: firstrun.FirstRunResult | None = None
        self.busy = False
        self.setWindowTitle(_("Welcome to FairDesk"))
        self.setMinimumWidth(560)

        icon = QLabel()
        icon.setPixmap(QIcon(str(resource_path("icons", "fairdesk.svg"))).pixmap(64, 64))
        title = QLabel(_("Welcome to FairDesk"))
        title.setStyleSheet("font-size: 17pt; font-weight: bold;")
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(title, 1)

        intro = QLabel(
            _(
                "This is the first start. FairDesk keeps your cases and evidence in this "
                "folder on this computer:"
            )
        )
        intro.setWordWrap(True)
        self.path_label = QLabel(str(self.data_dir))
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setStyleSheet("font-family: monospace; padding: 4px 0 4px 12px;")
        self.path_label.setWordWrap(True)
        question = QLabel(_("It works without an internet connection. How do you want to start?"))
        question.setWordWrap(True)

        self.demo_button = QCommandLinkButton(
            _("Try it with demo data"),
            _("Invented cases at real trade fairs, to explore every screen before a fair."),
        )
        self.empty_button = QCommandLinkButton(
            _("Start empty"), _("An empty case list, for real work.")
        )
        self.demo_button.clicked.connect(lambda: self.choose(firstrun.Start.DEMO))
        self.empty_button.clicked.connect(lambda: self.choose(firstrun.Start.EMPTY))

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy indicator: the demo set has no natural steps
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.hide()

        self.quit_button = QPushButton(_("Quit without creating anything"))
        self.quit_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.quit_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(intro)
        layout.addWidget(self.path_label)
        layout.addWidget(question)
        layout.addWidget(self.demo_button)
        layout.addWidget(self.empty_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(bottom)

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.busy = busy
        for button in (self.demo_button, self.empty_button, self.quit_button):
            button.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.status.setText(message)
        self.status.setVisible(bool(message))

    def choose(self, start: firstrun.Start) -> None:
        if self.busy:
            return
        message = (
            _("Preparing the demo cases…")
            if start is firstrun.Start.DEMO
            else _("Creating the data folder…")
        )
        self._set_busy(True, message)
        runner().run(
            firstrun.create_data_folder,
            self.data_dir,
            start,
            pool="db",
            on_done=self._done,
            on_error=self._failed,
        )

    def _done(self, result: firstrun.FirstRunResult) -> None:
        self.result_info = result
        self._set_busy(False)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        text = explain(exc, _("The data folder could not be prepared."))
        self._set_busy(False, text)
        self.status.setStyleSheet(f"color: {RED};")

    def reject(self) -> None:
        if not self.busy:  # never walk away from a folder half-way through creation
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)


def ask_first_run(data_dir: Path, parent: QWidget | None = None) -> bool:
    """Ask if ``data_dir`` is new; True to go on (folder ready), False when the user quit.

    With ``FAIRDESK_FIRST_RUN`` set there is no question; the folder is prepared before any
    window exists, so doing it on this thread keeps nothing waiting.
    """
    if not firstrun.needs_first_run(data_dir):
        return True
    answer = firstrun.preset()
    if answer is not None:
        firstrun.create_data_folder(data_dir, answer)
        return True
    dialog = FirstRunDialog(data_dir, parent)
    return dialog.exec() == QDialog.DialogCode.Accepted
