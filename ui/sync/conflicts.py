"""Conflicts in the UI: the case panel listing them and the dialog that decides one.

The dialog shows, for each field, the value before both edits (base), HQ's value (theirs), the
losing edit (ours), who made it and when; the person keeps one side or types a merged value.
The decision is saved as an ordinary change and synced (``sync.client.conflicts.resolve``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fairdesk.i18n import _
from fairdesk.model import LABELS
from fairdesk.store import Store
from sync.client.conflicts import list_conflicts, resolve
from ui.fieldnames import field_label, field_list
from ui.tasks import explain, runner


def _show(value: Any) -> str:
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, dict):
        return ", ".join(f"{field_label(k)}: {_show(v)}" for k, v in value.items())
    if value is True:
        return _("deleted")
    if value is False:
        return _("kept")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and value in LABELS:  # an enum value such as "open"
        return _(LABELS[value])
    return str(value)


class ConflictDialog(QDialog):
    def __init__(self, store: Store, conflict: dict[str, Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.conflict = conflict
        self.setWindowTitle(_("Resolve a conflict"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Two edits to the same record crossed. HQ kept its value; the other edit was "
                "not lost. Choose what the record should say."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        who = QLabel(
            _("Edit by device {device} at {when}").format(
                device=(conflict.get("device_id") or "?")[:8], when=conflict.get("created_at", "")
            )
        )
        who.setObjectName("subtitle")
        layout.addWidget(who)
        grid = QGridLayout()
        for col, text in enumerate(
            (_("Field"), _("Before"), _("HQ (theirs)"), _("This edit (ours)"))
        ):
            head = QLabel(text)
            head.setObjectName("sectionTitle")
            grid.addWidget(head, 0, col)
        self.fields = {k: v for k, v in conflict["fields"].items() if isinstance(v, dict)}
        for row, (name, info) in enumerate(sorted(self.fields.items()), start=1):
            grid.addWidget(QLabel(field_label(name)), row, 0)
            grid.addWidget(QLabel(_show(info.get("base"))), row, 1)
            grid.addWidget(QLabel(_show(info.get("server"))), row, 2)
            grid.addWidget(QLabel(_show(info.get("client"))), row, 3)
        layout.addLayout(grid)
        self.choice = QButtonGroup(self)
        self.theirs = QRadioButton(_("Keep HQ's value"))
        self.ours = QRadioButton(_("Keep this edit"))
        self.merge = QRadioButton(_("Merge: type the value"))
        self.theirs.setChecked(True)
        for button in (self.theirs, self.ours, self.merge):
            self.choice.addButton(button)
            layout.addWidget(button)
        self.merge_edits: dict[str, QLineEdit] = {}
        mergeable = [n for n in self.fields if n != "_deleted"]
        self.merge.setEnabled(bool(mergeable))
        for name in mergeable:
            edit = QLineEdit(str(self.fields[name].get("server") or ""))
            edit.setPlaceholderText(field_label(name))
            edit.setEnabled(False)
            self.merge.toggled.connect(edit.setEnabled)
            self.merge_edits[name] = edit
            layout.addWidget(edit)
        self.error = QLabel()
        self.error.setObjectName("formError")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _save(self) -> None:
        kwargs: dict[str, Any]
        if self.merge.isChecked():
            kwargs = {"value": {n: e.text() for n, e in self.merge_edits.items()}}
        else:
            kwargs = {"pick": "ours" if self.ours.isChecked() else "theirs"}
        runner().run(
            resolve,
            self.store,
            self.conflict["id"],
            on_done=lambda _mid: self.accept(),
            on_error=lambda exc: self.error.setText(explain(exc)),
            **kwargs,
        )


class ConflictsPanel(QWidget):
    """Case panel: the case's open conflicts ("needs review"), each with a Review button."""

    def __init__(self, store: Store, case_id: str) -> None:
        super().__init__()
        self.store, self.case_id = store, case_id
        self.layout_ = QVBoxLayout(self)
        self.reload()

    def reload(self) -> None:
        runner().run(list_conflicts, self.store, self.case_id, pool="read", on_done=self._fill)

    def _fill(self, found: list[dict[str, Any]]) -> None:
        while self.layout_.count():
            item = self.layout_.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if not found:
            self.layout_.addWidget(QLabel(_("No conflicts: every device agrees on this case.")))
            return
        head = QLabel(_("Needs review: {count} conflicting edits").format(count=len(found)))
        head.setObjectName("formError")
        self.layout_.addWidget(head)
        for conflict in found:
            names = field_list(sorted(conflict["fields"]))
            pending = _(" (decision waiting to be sent)") if conflict["resolution_pending"] else ""
            button = QPushButton(_("Review: {fields}").format(fields=names) + pending)
            button.setEnabled(not conflict["resolution_pending"])
            button.clicked.connect(lambda _c=False, c=conflict: self._review(c))
            self.layout_.addWidget(button)
        self.layout_.addStretch(1)

    def _review(self, conflict: dict[str, Any]) -> None:
        dialog = ConflictDialog(self.store, conflict, self)
        if dialog.exec():
            self.reload()
