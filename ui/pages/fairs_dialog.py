"""Fairs (menu Fairs…, or "Manage fairs…" on a case): the shipped catalogue and the user's own.

A list with a filter on the left, the selected fair's form on the right. "New fair" empties the
form; Save (Enter) adds or changes the fair through ``fairdesk.fairs``, which checks everything
(unknown time zone, a date range ending before it starts, a duplicate name, …) and saves nothing
on a problem: the sentence is shown under the form. Dates are typed as 2026-04-20 (empty = not
set this year); times as 09:00 (empty = not known).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fairdesk import fairs
from fairdesk.errors import ValidationError
from fairdesk.fairs import FairInput, FairRow
from fairdesk.i18n import N_, _, current_language
from fairdesk.store import Store
from ui.models.rows import RowsTableModel
from ui.pages.common import table_view, time_zone_names
from ui.tasks import explain, runner
from ui.theme import SPACING
from ui.widgets.forms import ErrorLabel

# Form fields: (FairInput attribute, label, placeholder).
_TEXT_FIELDS = (
    ("name", N_("Name (English)"), N_("e.g. Hannover Messe")),
    ("name_zh", N_("Chinese name"), N_("e.g. 汉诺威工业博览会")),
    ("name_local", N_("Local name"), ""),
    ("city", N_("City"), ""),
    ("country", N_("Country (ISO code)"), N_("e.g. DE")),
    ("venue", N_("Venue"), ""),
    ("starts_on", N_("First day this year"), N_("2026-04-20 (empty = not set)")),
    ("ends_on", N_("Last day this year"), N_("2026-04-24")),
    ("opening_time", N_("Opens at (fair time)"), N_("09:00 (empty = not known)")),
    ("closing_time", N_("Closes at (fair time)"), N_("18:00 (empty = not known)")),
    ("organiser", N_("Organiser"), ""),
    ("ip_desk", N_("Organiser's IP desk"), N_("only if it exists")),
    ("source_url", N_("Source"), N_("https://…")),
    ("notes", N_("Notes"), ""),
)


def _parse_day(label: str, text: str) -> date | None:
    value = text.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(
            _("{field}: not a valid date: {text} (use 2026-03-05)").format(field=label, text=value)
        ) from exc


class FairsDialog(QDialog):
    changed = Signal(str)  # the fair added or edited

    def __init__(self, store: Store, parent: QWidget | None = None, select: str = "") -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle(_("Fairs"))
        self.resize(1180, 660)
        self.current_id = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACING * 2, SPACING * 2, SPACING * 2, SPACING * 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        layout.addWidget(splitter, 1)

        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("Filter fairs (name, city, country)…"))
        left_box.addWidget(self.filter)
        zh = current_language().startswith("zh")
        self.model: RowsTableModel[FairRow] = RowsTableModel(
            [
                (N_("Fair"), lambda f: f.name_zh if zh and f.name_zh else f.name),
                (N_("City"), lambda f: f.city),
                (N_("Country"), lambda f: f.country),
                (N_("Dates"), lambda f: f"{f.starts_on} – {f.ends_on}" if f.starts_on else ""),
            ]
        )
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = table_view()
        self.view.setModel(self.proxy)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().selectionChanged.connect(self._selected)
        left_box.addWidget(self.view, 1)
        self.new_button = QPushButton(_("New fair"))
        self.new_button.clicked.connect(self.new_fair)
        left_box.addWidget(self.new_button)
        splitter.addWidget(left)

        right = QWidget()
        form = QFormLayout(right)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.heading = QLabel()
        self.heading.setObjectName("sectionTitle")
        form.addRow(self.heading)
        self.fields: dict[str, QLineEdit] = {}
        for name, label_text, placeholder in _TEXT_FIELDS[:6]:
            self.fields[name] = self._line(placeholder)
            form.addRow(_(label_text), self.fields[name])
        self.time_zone = QComboBox()
        self.time_zone.setEditable(True)
        self.time_zone.addItems(time_zone_names())
        self.time_zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = QCompleter(time_zone_names(), self.time_zone)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.time_zone.setCompleter(completer)
        form.addRow(_("Time zone (IANA)"), self.time_zone)
        for name, label_text, placeholder in _TEXT_FIELDS[6:]:
            self.fields[name] = self._line(placeholder)
            form.addRow(_(label_text), self.fields[name])
        self.source_note = QLabel()
        self.source_note.setObjectName("subtitle")
        self.source_note.setWordWrap(True)
        form.addRow(self.source_note)
        self.error = ErrorLabel()
        form.addRow(self.error)
        self.saved = QLabel()
        self.saved.setObjectName("subtitle")
        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("Save fair"))
        self.save_button.setObjectName("primary")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton(_("Close"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.accept)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.saved, 1)
        buttons.addWidget(self.close_button)
        form.addRow(buttons)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([680, 480])
        self.reload(select)

    def _line(self, placeholder: str) -> QLineEdit:
        line = QLineEdit()
        if placeholder:
            line.setPlaceholderText(_(placeholder))
        line.returnPressed.connect(self.save)
        return line

    # -- list -------------------------------------------------------------------------------

    def reload(self, select: str = "") -> None:
        rows = fairs.list_fairs(self.store)  # a few dozen rows: fine on the GUI thread
        self.model.set_rows(rows)
        target = select or self.current_id
        for row in range(self.proxy.rowCount()):
            fair = self.model.row_at(self.proxy.mapToSource(self.proxy.index(row, 0)).row())
            if fair.id == target:
                self.view.selectRow(row)
                return
        if not target:
            self.new_fair()

    def selected_fair(self) -> FairRow | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row())

    def _selected(self) -> None:
        fair = self.selected_fair()
        if fair is not None:
            self.show_fair(fair)

    def show_fair(self, fair: FairRow) -> None:
        self.current_id = fair.id
        self.heading.setText(fair.display_name(current_language()))
        for name, line in self.fields.items():
            value = getattr(fair, name)
            line.setText("" if value is None else str(value))
        self.time_zone.setCurrentText(fair.time_zone)
        if fair.catalogue_key:
            self.source_note.setText(
                _(
                    "From FairDesk's fair catalogue; checked {checked}. Empty fields are not known."
                ).format(checked=fair.source_checked or "—")
            )
        else:
            self.source_note.setText(_("Added by a user."))
        self.error.show_error("")
        self.saved.setText("")

    def new_fair(self) -> None:
        self.view.clearSelection()
        self.current_id = ""
        self.heading.setText(_("New fair"))
        for line in self.fields.values():
            line.clear()
        self.time_zone.setCurrentText("")
        self.source_note.setText("")
        self.error.show_error("")
        self.saved.setText("")
        self.fields["name"].setFocus()

    # -- saving -----------------------------------------------------------------------------

    def form_values(self) -> dict[str, object]:
        labels = {name: _(label_text) for name, label_text, _p in _TEXT_FIELDS}
        values: dict[str, object] = {
            name: line.text()
            for name, line in self.fields.items()
            if name not in ("starts_on", "ends_on")
        }
        values["starts_on"] = _parse_day(labels["starts_on"], self.fields["starts_on"].text())
        values["ends_on"] = _parse_day(labels["ends_on"], self.fields["ends_on"].text())
        values["time_zone"] = self.time_zone.currentText().strip()
        return values

    def save(self) -> None:
        self.error.show_error("")
        self.saved.setText("")
        try:
            values = self.form_values()
        except ValidationError as exc:
            self.error.show_error(str(exc))
            return
        if self.current_id:
            runner().run(
                fairs.edit_fair,
                self.store,
                self.current_id,
                values,
                on_done=lambda row: self._saved(row.id),
                on_error=self._failed,
            )
        else:
            runner().run(
                fairs.create_fair,
                self.store,
                FairInput(**values),  # type: ignore[arg-type]
                on_done=self._saved,
                on_error=self._failed,
            )

    def _saved(self, fair_id: str) -> None:
        self.current_id = fair_id
        self.reload(fair_id)
        self.saved.setText(_("Saved."))
        self.changed.emit(fair_id)

    def _failed(self, exc: BaseException) -> None:
        self.error.show_error(explain(exc, _("The fair was not saved.")))
