"""The case page's Parties and Rights tabs: a table and a small form to add, edit and remove.

Keyboard: pick a row (arrows) to load it into the form; Enter in a field saves the selected row,
or adds a new one when none is selected; "New" (Ctrl+Shift+N) clears the selection; Delete on
the table removes the selected row. Every change goes through ``fairdesk.cases`` (one
transaction with its outbox entry, so it syncs field by field); a problem is shown under the
form in the core's words and nothing is saved. A right number that does not match its office's
format is saved and the warning shown beside the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fairdesk import cases
from fairdesk.cases import PartyInput, PartyRow, RightInput, RightRow
from fairdesk.i18n import _
from fairdesk.model import PartyRole, RightKind
from fairdesk.store import Store
from ui.models.rows import RowsTableModel
from ui.pages.common import table_view
from ui.tasks import explain, runner
from ui.theme import SPACING
from ui.widgets.combo import EnumCombo
from ui.widgets.forms import ErrorLabel

R = TypeVar("R", PartyRow, RightRow)


class _RowsEditor(QWidget, Generic[R]):
    saved = Signal()

    def __init__(self, store: Store, model: RowsTableModel[R], noun: str) -> None:
        super().__init__()
        self.store = store
        self.model: RowsTableModel[R] = model
        self.case_id = ""
        layout = QVBoxLayout(self)
        self.view = table_view()
        self.view.setModel(model)
        self.view.setTabKeyNavigation(False)  # Tab leaves the table for the form; arrows select
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        layout.addWidget(self.view, 1)
        self.form = QGridLayout()
        self.form.setHorizontalSpacing(SPACING)
        layout.addLayout(self.form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.warning = QLabel()
        self.warning.setObjectName("subtitle")
        self.warning.setWordWrap(True)
        self.warning.hide()
        layout.addWidget(self.warning)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(_("Add {noun}").format(noun=noun))
        self.add_button.clicked.connect(self.add)
        self.save_button = QPushButton(_("Save changes to selected"))
        self.save_button.clicked.connect(self.save_selected)
        self.remove_button = QPushButton(_("Remove selected"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.new_button = QPushButton(_("New"))
        self.new_button.setToolTip(_("Clear the form to add another (Ctrl+Shift+N)"))
        self.new_button.clicked.connect(self.clear_form)
        for button in (self.add_button, self.save_button, self.remove_button, self.new_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.view.installEventFilter(self)  # Delete on the table removes the selected row
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, self.clear_form)
        self._update_buttons()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
        ):
            self.remove_selected()
            return True
        return super().eventFilter(watched, event)

    # -- subclass hooks ---------------------------------------------------------------------

    def fill(self, row: R) -> None:
        raise NotImplementedError

    def clear_fields(self) -> None:
        raise NotImplementedError

    def _add_call(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        raise NotImplementedError

    def _edit_call(self, row: R) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        raise NotImplementedError

    def _remove_fn(self) -> Callable[..., None]:
        raise NotImplementedError

    def after_save(self) -> None:
        """Shown after a successful add or edit (e.g. a format warning)."""

    # -- shared -----------------------------------------------------------------------------

    def _tab_order(self, fields: list[QWidget]) -> None:
        """Table, then the form left to right, then the buttons (the form is built last)."""
        chain: list[QWidget] = [self.view, *fields, self.add_button, self.save_button]
        chain.append(self.remove_button)
        for first, second in zip(chain, [*chain[1:], self.new_button], strict=True):
            QWidget.setTabOrder(first, second)

    def _line(self, placeholder: str = "") -> QLineEdit:
        line = QLineEdit()
        line.setPlaceholderText(placeholder)
        line.returnPressed.connect(self.enter_pressed)
        return line

    def show_rows(self, case_id: str, rows: tuple[R, ...]) -> None:
        keep = self.selected() if case_id == self.case_id else None
        if case_id != self.case_id:
            self.clear_form()
            self.warning.hide()
        self.case_id = case_id
        self.model.set_rows(rows)
        if keep is not None:
            for index, row in enumerate(rows):
                if row.id == keep.id:
                    self.view.selectRow(index)
                    break
        self._update_buttons()

    def selected(self) -> R | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _selection_changed(self) -> None:
        row = self.selected()
        if row is not None:
            self.fill(row)
            self.error.show_error("")
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        self.save_button.setEnabled(has)
        self.remove_button.setEnabled(has)

    def clear_form(self) -> None:
        self.view.clearSelection()
        self.clear_fields()
        self.error.show_error("")
        self._update_buttons()

    def enter_pressed(self) -> None:
        if self.selected() is not None:
            self.save_selected()
        else:
            self.add()

    def _run(self, fn: Callable[..., Any], *args: Any, done: Callable[[], None]) -> None:
        self.error.show_error("")

        def finished(_result: object) -> None:
            done()
            self.saved.emit()

        def failed(exc: BaseException) -> None:
            self.error.show_error(explain(exc, _("Not saved.")))

        runner().run(fn, *args, on_done=finished, on_error=failed)

    def add(self) -> None:
        if not self.case_id:
            return
        fn, args = self._add_call()

        def done() -> None:
            self.after_save()
            self.clear_fields()

        self._run(fn, self.store, self.case_id, *args, done=done)

    def save_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.error.show_error(_("Select a row first."))
            return
        fn, args = self._edit_call(row)
        self._run(fn, self.store, row.id, *args, done=self.after_save)

    def remove_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.error.show_error(_("Select a row first."))
            return
        self._run(self._remove_fn(), self.store, row.id, done=self.clear_form)


class PartiesEditor(_RowsEditor[PartyRow]):
    def __init__(self, store: Store, model: RowsTableModel[PartyRow]) -> None:
        super().__init__(store, model, _("party"))
        self.role: EnumCombo[PartyRole] = EnumCombo(PartyRole)
        self.name = self._line(_("Name (person, company, court or office)"))
        self.organisation = self._line(_("Organisation"))
        self.reference = self._line(_("File number, e.g. 4a O 12/26"))
        self.contact = self._line(_("Contact"))
        self.form.addWidget(QLabel(_("Role")), 0, 0)
        self.form.addWidget(self.role, 0, 1)
        self.form.addWidget(QLabel(_("Name")), 0, 2)
        self.form.addWidget(self.name, 0, 3)
        self.form.addWidget(QLabel(_("Organisation")), 1, 0)
        self.form.addWidget(self.organisation, 1, 1)
        self.form.addWidget(QLabel(_("File number")), 1, 2)
        self.form.addWidget(self.reference, 1, 3)
        self.form.addWidget(QLabel(_("Contact")), 2, 0)
        self.form.addWidget(self.contact, 2, 1, 1, 3)
        self.form.setColumnStretch(1, 1)
        self.form.setColumnStretch(3, 2)
        self.role.currentIndexChanged.connect(self._role_changed)
        self._role_changed()
        self._tab_order([self.role, self.name, self.organisation, self.reference, self.contact])

    def _role_changed(self) -> None:
        # A file number belongs to a court or authority; other parties rarely have one.
        court = self.role.value() is PartyRole.COURT
        self.reference.setPlaceholderText(
            _("File number, e.g. 4a O 12/26") if court else _("Reference (optional)")
        )

    def fill(self, row: PartyRow) -> None:
        self.role.set_value(row.role)
        self.name.setText(row.name)
        self.organisation.setText(row.organisation)
        self.reference.setText(row.reference)
        self.contact.setText(row.contact)

    def clear_fields(self) -> None:
        for line in (self.name, self.organisation, self.reference, self.contact):
            line.clear()

    def _values(self) -> dict[str, Any]:
        return {
            "role": self.role.value() or PartyRole.WITNESS,
            "name": self.name.text(),
            "organisation": self.organisation.text(),
            "reference": self.reference.text(),
            "contact": self.contact.text(),
        }

    def _add_call(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return cases.add_party, (PartyInput(**self._values()),)

    def _edit_call(self, row: PartyRow) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return cases.edit_party, (self._values(),)

    def _remove_fn(self) -> Callable[..., None]:
        return cases.remove_party


class RightsEditor(_RowsEditor[RightRow]):
    def __init__(self, store: Store, model: RowsTableModel[RightRow]) -> None:
        super().__init__(store, model, _("right"))
        self.whose = QComboBox()
        self.whose.addItem(_("Theirs (asserted against us)"), False)
        self.whose.addItem(_("Ours"), True)
        self.kind: EnumCombo[RightKind] = EnumCombo(RightKind)
        self.number = self._line(_("e.g. EP 3 000 001 B1"))
        self.office = self._line(_("Office, e.g. EP"))
        self.owner = self._line(_("Owner"))
        self.status = self._line(_("e.g. granted, pending"))
        self.form.addWidget(QLabel(_("Whose")), 0, 0)
        self.form.addWidget(self.whose, 0, 1)
        self.form.addWidget(QLabel(_("Kind")), 0, 2)
        self.form.addWidget(self.kind, 0, 3)
        self.form.addWidget(QLabel(_("Number")), 1, 0)
        self.form.addWidget(self.number, 1, 1)
        self.form.addWidget(QLabel(_("Country or office")), 1, 2)
        self.form.addWidget(self.office, 1, 3)
        self.form.addWidget(QLabel(_("Owner")), 2, 0)
        self.form.addWidget(self.owner, 2, 1)
        self.form.addWidget(QLabel(_("Status")), 2, 2)
        self.form.addWidget(self.status, 2, 3)
        self.form.setColumnStretch(1, 2)
        self.form.setColumnStretch(3, 1)
        self._last: RightInput | None = None
        self._tab_order([self.whose, self.kind, self.number, self.office, self.owner, self.status])

    def fill(self, row: RightRow) -> None:
        self.whose.setCurrentIndex(1 if row.asserted_by_us else 0)
        self.kind.set_value(row.kind)
        self.number.setText(row.number)
        self.office.setText(row.office)
        self.owner.setText(row.owner)
        self.status.setText(row.right_status)

    def clear_fields(self) -> None:
        for line in (self.number, self.office, self.owner, self.status):
            line.clear()

    def _input(self) -> RightInput:
        data = RightInput(
            kind=self.kind.value() or RightKind.INVENTION_PATENT,
            number=self.number.text(),
            office=self.office.text(),
            owner=self.owner.text(),
            right_status=self.status.text(),
            asserted_by_us=bool(self.whose.currentData()),
        )
        self._last = data
        return data

    def _add_call(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return cases.add_right, (self._input(),)

    def _edit_call(self, row: RightRow) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        data = self._input()
        changes = {
            "kind": data.kind,
            "number": data.number,
            "office": data.office,
            "owner": data.owner,
            "right_status": data.right_status,
            "asserted_by_us": data.asserted_by_us,
        }
        return cases.edit_right, (changes,)

    def _remove_fn(self) -> Callable[..., None]:
        return cases.remove_right

    def after_save(self) -> None:
        warning = cases.right_warning(self._last) if self._last is not None else ""
        self.warning.setText(_("Saved. {warning}").format(warning=warning) if warning else "")
        self.warning.setVisible(bool(warning))
