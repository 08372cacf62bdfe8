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

from fairdesk.cases import EDITABLE_TEXT
from fairdesk.i18n import N_, _
from fairdesk.model import LABELS
from fairdesk.store import Store
from sync.client.conflicts import list_conflicts, resolve
from ui.tasks import explain, runner

# Labels of every synced field a person can edit (case texts come from fairdesk.cases).
FIELD_LABELS: dict[str, str] = {
    **{name: label for name, (label, _limit) in EDITABLE_TEXT.items()},
    "_deleted": N_("Deleted?"),
    "number": N_("Number"),
    "status": N_("Status"),
    "direction": N_("Direction"),
    "trigger": N_("Trigger"),
    "fair_id": N_("Fair"),
    "served_at": N_("Served at"),
    "level_override": N_("Level override"),
    "override_reason": N_("Override reason"),
    "role": N_("Role"),
    "name": N_("Name"),
    "organisation": N_("Organisation"),
    "contact": N_("Contact"),
    "kind": N_("Kind"),
    "office": N_("Office"),
    "owner": N_("Owner"),
    "right_status": N_("Right status"),
    "valid_from": N_("Valid from"),
    "valid_until": N_("Valid until"),
    "asserted_by_us": N_("Asserted by us"),
    "what": N_("What"),
    "due_at": N_("Due"),
    "rule": N_("Rule"),
    "rule_hours": N_("Hours"),
    "source": N_("Source"),
    "done": N_("Done"),
    "caption": N_("Caption"),
    "shows": N_("What it shows"),
    "supports": N_("Supports (right or claim feature)"),
    "notary_present": N_("Notary present"),
    "witness_present": N_("Witness present"),
    "tags": N_("Tags"),
    "hidden_at": N_("Hidden at"),
    "hidden_reason": N_("Hidden reason"),
    "purged_at": N_("Purged at"),
    # parties and fairs (i12)
    "reference": N_("File number"),
    "city": N_("City"),
    "country": N_("Country"),
    "venue": N_("Venue"),
    "time_zone": N_("Time zone"),
    "starts_on": N_("First day this year"),
    "ends_on": N_("Last day this year"),
    "opening_time": N_("Opens at (fair time)"),
    "closing_time": N_("Closes at (fair time)"),
    "name_zh": N_("Chinese name"),
    "name_local": N_("Local name"),
    "organiser": N_("Organiser"),
    "ip_desk": N_("Organiser's IP desk"),
    "library_venue": N_("Library entry"),
    "source_url": N_("Source"),
    "source_checked": N_("Checked on"),
    "notes": N_("Notes"),
}


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


def field_label(name: str) -> str:
    """The field's name as the person knows it, in their language."""
    label = FIELD_LABELS.get(name)
    return _(label) if label else name.replace("_", " ")


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
            names = ", ".join(field_label(n) for n in sorted(conflict["fields"]))
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
