"""Dialogs of the protection feature: set up (first run), unlock, recovery key, change passphrase.

The Argon2id derivation (~0.2 s) runs on the task runner, never on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPainter, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fairdesk.crypto import keys
from fairdesk.errors import FairDeskError
from fairdesk.i18n import _
from ui.tasks import explain, runner
from ui.theme import RED


def _secret_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMinimumWidth(320)
    return field


class _Form(QDialog):
    """Shared frame: an explanation, fields, an error line, OK/Cancel."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        intro = QLabel(text)
        intro.setWordWrap(True)
        self.layout_.addWidget(intro)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {RED};")
        self.error.setObjectName("error")
        self.layout_.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)

    def submit(self) -> None:  # pragma: no cover - overridden
        self.accept()

    def busy(self, on: bool) -> None:
        self.buttons.setEnabled(not on)

    def fail(self, exc: BaseException) -> None:
        self.busy(False)
        self.error.setText(explain(exc))


class SetupDialog(_Form):
    """First run: choose a passphrase (twice); the recovery key is shown afterwards, once."""

    def __init__(self, data_dir: Path, *, existing: bool, parent: QWidget | None = None) -> None:
        super().__init__(
            _("Protect your data"),
            _(
                "Laptops get lost, stolen or inspected at borders. FairDesk encrypts your cases "
                "and evidence with a passphrase only you know. Choose one you can type under "
                "stress, at least 8 characters; a whole sentence works well."
            )
            + (
                "\n\n" + _("Your existing data will be encrypted now and checked.")
                if existing
                else ""
            ),
            parent,
        )
        self.data_dir = data_dir
        self.existing = existing
        self.params = keys.DEFAULT_KDF
        self.first = _secret_field()
        self.second = _secret_field()
        self.form.addRow(_("Passphrase"), self.first)
        self.form.addRow(_("Repeat it"), self.second)
        self.result_key: bytes | None = None
        self.recovery_key = ""

    def submit(self) -> None:
        if self.first.text() != self.second.text():
            self.error.setText(_("The two passphrases differ; type them again."))
            return
        try:
            keys.check_new_passphrase(self.first.text())
        except FairDeskError as exc:
            self.error.setText(str(exc))
            return
        from fairdesk.protect import migrate

        work = migrate.protect_existing_folder if self.existing else migrate.protect_new_folder
        self.busy(True)
        self.error.setText(_("Encrypting… this can take a while for many photos."))
        runner().run(
            work, self.data_dir, self.first.text(), pool="db", on_done=self._done,
            on_error=self.fail, params=self.params,
        )  # fmt: skip

    def _done(self, result: object) -> None:
        self.result_key = result.data_key  # type: ignore[attr-defined]
        self.recovery_key = result.recovery_key  # type: ignore[attr-defined]
        self.accept()


class RecoveryKeyDialog(QDialog):
    """Shows the recovery key once, with Print and Save."""

    def __init__(self, recovery_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Your recovery key"))
        self.setMinimumWidth(560)  # the key on one or two lines, easy to copy by hand
        self.recovery_key = recovery_key
        layout = QVBoxLayout(self)
        text = QLabel(
            _(
                "If you forget your passphrase, this key is the ONLY way to open your data. "
                "Print it or save it somewhere safe, apart from this laptop. It will not be "
                "shown again."
            )
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        key = QLabel(recovery_key)
        key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(13)
        key.setFont(font)
        key.setWordWrap(True)
        key.setObjectName("recoveryKey")
        layout.addWidget(key)
        row = QDialogButtonBox()
        self.print_button = QPushButton(_("Print…"))
        self.save_button = QPushButton(_("Save…"))
        row.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        row.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        done = row.addButton(_("I have kept it"), QDialogButtonBox.ButtonRole.AcceptRole)
        done.clicked.connect(self.accept)
        self.print_button.clicked.connect(self.print_key)
        self.save_button.clicked.connect(self.save_key)
        layout.addWidget(row)

    def sheet(self) -> str:
        return _("FairDesk recovery key") + "\n\n" + self.recovery_key + "\n"

    def print_key(self) -> None:
        printer = QPrinter()
        if QPrintDialog(printer, self).exec() == QDialog.DialogCode.Accepted:
            document = QTextDocument(self.sheet())
            painter = QPainter(printer)
            document.drawContents(painter)
            painter.end()

    def save_key(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Save the recovery key"), "fairdesk-recovery-key.txt"
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        path.write_text(self.sheet(), encoding="utf-8")


class UnlockDialog(_Form):
    """Asks for the passphrase (or the recovery key); wrong ones wait longer each time."""

    def __init__(
        self, data_dir: Path, parent: QWidget | None = None, guard: keys.AttemptGuard | None = None
    ) -> None:
        super().__init__(
            _("Unlock FairDesk"),
            _("Your data is encrypted. Enter your passphrase to open it."),
            parent,
        )
        self.data_dir = data_dir
        self.guard = guard or keys.AttemptGuard(data_dir)
        self.secret = _secret_field()
        self.form.addRow(_("Passphrase"), self.secret)
        self.use_recovery = QPushButton(_("Use the recovery key instead"))
        self.use_recovery.setCheckable(True)
        self.layout_.insertWidget(2, self.use_recovery)
        self.data_key: bytes | None = None

    def submit(self) -> None:
        fn = (
            keys.unlock_with_recovery_key
            if self.use_recovery.isChecked()
            else keys.unlock_with_passphrase
        )
        self.busy(True)
        self.error.setText("")
        runner().run(
            fn, self.data_dir, self.secret.text(), pool="db", on_done=self._done,
            on_error=self.fail, guard=self.guard,
        )  # fmt: skip

    def _done(self, key: object) -> None:
        assert isinstance(key, bytes)
        self.data_key = key
        self.secret.clear()
        self.accept()

    def fail(self, exc: BaseException) -> None:
        super().fail(exc)
        self.secret.selectAll()


class ChangePassphraseDialog(_Form):
    def __init__(self, data_dir: Path, data_key: bytes, parent: QWidget | None = None) -> None:
        super().__init__(
            _("Change passphrase"),
            _("Enter your current passphrase and the new one. Nothing is re-encrypted."),
            parent,
        )
        self.data_dir, self.data_key = data_dir, data_key
        self.params = keys.DEFAULT_KDF
        self.current = _secret_field()
        self.first = _secret_field()
        self.second = _secret_field()
        self.form.addRow(_("Current passphrase"), self.current)
        self.form.addRow(_("New passphrase"), self.first)
        self.form.addRow(_("Repeat it"), self.second)

    def submit(self) -> None:
        if self.first.text() != self.second.text():
            self.error.setText(_("The two passphrases differ; type them again."))
            return
        self.busy(True)
        runner().run(self._work, pool="db", on_done=lambda _r: self.accept(), on_error=self.fail)

    def _work(self) -> None:
        key = keys.unlock_with_passphrase(self.data_dir, self.current.text())
        keys.change_passphrase(self.data_dir, key, self.first.text(), params=self.params)
