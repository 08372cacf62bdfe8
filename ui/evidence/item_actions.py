"""Hiding and purging an evidence item from the gallery or viewer (right-click).

Hide is a delete request: the item leaves the gallery, the reason goes into the custody log,
and the original bytes stay. Purge erases the original for good; it needs a reason and an
explicit confirmation, and is itself logged. Both run through the core services on the db pool.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fairdesk.evidence import service
from fairdesk.evidence.rows import ItemRow
from fairdesk.i18n import _
from fairdesk.store import Store


class ReasonDialog(QDialog):
    """Asks why (required) and, for a purge, for an explicit confirmation."""

    def __init__(
        self,
        title: str,
        explanation: str,
        action: str,
        *,
        confirmation: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        text = QLabel(explanation)
        text.setWordWrap(True)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setPlaceholderText(
            _("Why? e.g. photo of the wrong booth; taken by mistake")
        )
        self.reason_edit.setFixedHeight(80)
        self.confirm: QCheckBox | None = QCheckBox(confirmation) if confirmation else None
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.addButton(
            action, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(QLabel(_("Reason (required, kept in the custody log)")))
        layout.addWidget(self.reason_edit)
        if self.confirm is not None:
            layout.addWidget(self.confirm)
            self.confirm.toggled.connect(self._update)
        layout.addWidget(self.buttons)
        self.reason_edit.textChanged.connect(self._update)
        self._update()

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _update(self) -> None:
        confirmed = self.confirm is None or self.confirm.isChecked()
        self.ok_button.setEnabled(bool(self.reason()) and confirmed)


def hide_dialog(row: ItemRow, parent: QWidget | None = None) -> ReasonDialog:
    return ReasonDialog(
        _("Hide evidence item"),
        _(
            "“{name}” will no longer be shown in the gallery, documents or exports. The "
            "original stays in the evidence folder and the reason is recorded in the custody "
            "log; it can be shown again."
        ).format(name=row.display_name),
        _("Hide"),
        parent=parent,
    )


def purge_dialog(row: ItemRow, parent: QWidget | None = None) -> ReasonDialog:
    return ReasonDialog(
        _("Purge evidence item"),
        _(
            "Purging erases the original of “{name}” from this computer for good (bytes that "
            "another item or a document uses stay). The item stays listed as purged and the "
            "custody log records the purge and its reason. This cannot be undone."
        ).format(name=row.display_name),
        _("Purge"),
        confirmation=_("I understand that the original will be erased and cannot be restored."),
        parent=parent,
    )


def hide_then_purge(store: Store, item_id: str, reason: str) -> ItemRow:
    """Purge an item; one still shown is hidden first with the same reason (two log entries)."""
    if service.get_item(store, item_id).hidden_at is None:
        service.hide_item(store, item_id, reason)
    return service.purge_item(store, item_id, reason)
