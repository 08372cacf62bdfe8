"""Overriding a case's warning level by hand: the new level and a reason, both required.

The reason is checked by the core (``cases.edit_case``); a refusal is shown in the dialog and
nothing is saved.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QWidget,
)

from fairdesk import cases
from fairdesk.cases import CaseDetail, CaseEdit
from fairdesk.i18n import _
from fairdesk.model import Level
from fairdesk.store import Store
from fairdesk.triage import RULE_TEXT
from ui.formatting import label
from ui.tasks import explain, runner
from ui.theme import level_icon
from ui.widgets.combo import EnumCombo
from ui.widgets.forms import add_reason_and_buttons


class OverrideLevelDialog(QDialog):
    def __init__(self, store: Store, detail: CaseDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id = detail.case.id
        self.setWindowTitle(_("Override warning level"))
        self.setMinimumWidth(480)
        form = QFormLayout(self)
        computed = _("Computed by the rules: {level} ({rule})").format(
            level=label(detail.computed_level), rule=_(RULE_TEXT.get(detail.level_rule, ""))
        )
        info = QLabel(computed)
        info.setWordWrap(True)
        form.addRow(info)
        self.level: EnumCombo[Level] = EnumCombo(
            Level,
            none_text=_("Use the computed level (remove override)"),
            icons={level: level_icon(level) for level in Level},
        )
        self.level.set_value(detail.level_override)
        form.addRow(_("Level"), self.level)
        self.reason, self.error, self.buttons = add_reason_and_buttons(
            self,
            form,
            label=_("Reason"),
            placeholder=_("Why? e.g. HQ decided to treat it as red"),
            height=90,
            on_ok=self.save,
        )

    def save(self) -> None:
        edit = CaseEdit(level=self.level.value())  # none: lift the override
        self.buttons.setEnabled(False)
        runner().run(
            cases.edit_case,
            self.store,
            self.case_id,
            edit,
            reason=self.reason.toPlainText(),
            on_done=lambda _r: self.accept(),
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.show_error(explain(exc))
