"""Inline validation messages: a field's error sentence shown right under the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

W = TypeVar("W", bound=QWidget)


class ErrorLabel(QLabel):
    """Hidden while empty; wraps long sentences instead of widening the form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.hide()

    def show_error(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))


class FieldWithError(QWidget, Generic[W]):
    """A field widget with its ErrorLabel beneath; ``set_error`` also marks the field red."""

    def __init__(self, field: W, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field: W = field
        self.error = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        layout.addWidget(self.error)
        self.setFocusProxy(field)

    def set_error(self, message: str) -> None:
        self.error.show_error(message)
        self.field.setProperty("invalid", bool(message))
        # Re-polish so the stylesheet's [invalid="true"] rule applies at once.
        self.field.style().unpolish(self.field)
        self.field.style().polish(self.field)


def add_reason_and_buttons(
    dialog: QDialog,
    form: QFormLayout,
    *,
    label: str,
    placeholder: str,
    height: int,
    on_ok: Callable[[], None],
) -> tuple[QPlainTextEdit, ErrorLabel, QDialogButtonBox]:
    """The foot of a dialog that records a decision: a reason box, its error line, OK/Cancel.

    Tab leaves the reason box (it never types a tab); OK calls ``on_ok``, Cancel rejects.
    """
    reason = QPlainTextEdit()
    reason.setPlaceholderText(placeholder)
    reason.setTabChangesFocus(True)
    reason.setFixedHeight(height)
    form.addRow(label, reason)
    error = ErrorLabel()
    form.addRow(error)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    return reason, error, buttons
