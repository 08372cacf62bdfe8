"""Correcting a case's situation (our role × what happened × where) when the facts mislead.

The computed situation is shown; the correction is saved by the core (``cases.edit_case`` with
``situation``), synced like any field, and levels, guidance and documents follow it. "Use the
computed situation" removes the correction. A refusal is shown here and nothing is saved.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from fairdesk import cases
from fairdesk.cases import CaseDetail, CaseEdit
from fairdesk.i18n import _
from fairdesk.situation import EVENT_LABELS, ROLE_LABELS, UPC, Situation, describe
from fairdesk.store import Store
from ui.tasks import explain, runner
from ui.widgets.forms import add_reason_and_buttons

COMPUTED = "computed"


class SituationDialog(QDialog):
    def __init__(self, store: Store, detail: CaseDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id = detail.case.id
        self.setWindowTitle(_("Correct the situation"))
        self.setMinimumWidth(520)
        reading = detail.situation
        assert reading is not None
        form = QFormLayout(self)
        info = QLabel(
            _("From the case's facts: {situation}").format(situation=describe(reading.computed))
        )
        info.setWordWrap(True)
        form.addRow(info)
        self.mode = QComboBox()
        self.mode.addItem(_("Use the computed situation"), COMPUTED)
        self.mode.addItem(_("Correct it"), "corrected")
        self.mode.setCurrentIndex(1 if reading.corrected else 0)
        form.addRow(self.mode)
        self.role = QComboBox()
        for role, text in ROLE_LABELS.items():
            self.role.addItem(_(text), role.value)
        self.what_happened = QComboBox()
        for event, text in EVENT_LABELS.items():
            self.what_happened.addItem(_(text), event.value)
        self.where = QLineEdit()
        self.where.setPlaceholderText(_("Country code (DE, US, CN…) or UPC"))
        self._fill(reading.situation)
        form.addRow(_("What happened"), self.what_happened)
        form.addRow(_("Your side"), self.role)
        form.addRow(_("Where"), self.where)
        self.reason, self.error, self.buttons = add_reason_and_buttons(
            self,
            form,
            label=_("Reason"),
            placeholder=_("Why? e.g. the order was issued by the UPC"),
            height=70,
            on_ok=self.save,
        )
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self._mode_changed()

    def _fill(self, situation: Situation) -> None:
        self.role.setCurrentIndex(self.role.findData(situation.role.value))
        self.what_happened.setCurrentIndex(self.what_happened.findData(situation.event.value))
        self.where.setText(situation.jurisdiction if situation.jurisdiction else "")

    def _mode_changed(self) -> None:
        editable = self.mode.currentData() != COMPUTED
        for widget in (self.role, self.what_happened, self.where):
            widget.setEnabled(editable)

    def key(self) -> str:
        """The correction as the core stores it ("" for the computed situation)."""
        if self.mode.currentData() == COMPUTED:
            return ""
        where = self.where.text().strip().upper() or "-"
        where = UPC if where == UPC else where
        return f"{self.role.currentData()}/{self.what_happened.currentData()}/{where}"

    def save(self) -> None:
        self.buttons.setEnabled(False)
        runner().run(
            cases.edit_case,
            self.store,
            self.case_id,
            CaseEdit(situation=self.key()),
            reason=self.reason.toPlainText(),
            on_done=lambda _r: self.accept(),
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.show_error(explain(exc))
