"""The Export dialog: where to write the evidence bundle and, optionally, a password for it.

A protected export is one file (``F.zip.fdenc``) plus instructions beside it; the recipient
opens it with ``fairdesk protect open-export`` and the password, which travels separately.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fairdesk.evidence.export import MIN_PASSWORD, protected_path
from fairdesk.i18n import _


class ExportDialog(QDialog):
    """Asks for the target file and an optional password (typed twice)."""

    def __init__(self, default: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Export evidence bundle"))
        self.path_edit = QLineEdit(str(default))
        browse = QPushButton(_("Choose…"))
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(browse)

        self.protect = QCheckBox(_("Protect with a password"))
        self.password = QLineEdit()
        self.confirm = QLineEdit()
        for field in (self.password, self.confirm):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.textChanged.connect(self._update)
        self.protect.toggled.connect(self._update)
        self.path_edit.textChanged.connect(self._update)
        self.hint = QLabel()
        self.hint.setWordWrap(True)

        form = QFormLayout()
        form.addRow(_("Save as:"), where)
        form.addRow("", self.protect)
        form.addRow(_("Password:"), self.password)
        form.addRow(_("Repeat password:"), self.confirm)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Export"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.resize(560, 0)
        self._update()

    def _browse(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Export evidence bundle"), self.path_edit.text(), _("Zip files (*.zip)")
        )
        if path:
            self.path_edit.setText(path)

    def problem(self) -> str:
        """Why Export cannot go ahead yet, in words; empty when it can."""
        if not self.path_edit.text().strip():
            return _("Choose where to save the bundle.")
        if not self.protect.isChecked():
            return ""
        if len(self.password.text()) < MIN_PASSWORD:
            return _("The export password needs at least {count} characters.").format(
                count=MIN_PASSWORD
            )
        if self.password.text() != self.confirm.text():
            return _("The two passwords are not the same.")
        return ""

    def _update(self) -> None:
        protected = self.protect.isChecked()
        self.password.setEnabled(protected)
        self.confirm.setEnabled(protected)
        problem = self.problem()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)
        if problem and (protected or not self.path_edit.text().strip()):
            self.hint.setText(problem)
        elif protected:
            self.hint.setText(
                _(
                    "The bundle is saved as {name}. Send the password separately (for example "
                    "by phone); without it nobody can open the file."
                ).format(name=protected_path(self.target()).name)
            )
        else:
            self.hint.setText(_("Anyone who gets the file can read the evidence in it."))

    def target(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def chosen_password(self) -> str | None:
        return self.password.text() if self.protect.isChecked() else None
