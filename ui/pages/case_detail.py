"""One case: header (number, title, level with the rule that set it, status, fair, booth) and
tabs for details, parties, rights, deadlines, notes, timeline and the feature panels.

The feature tabs (guidance, evidence, documents, conflicts) are ``ui.features.CASE_PANELS``,
each built when first shown. Every write goes to the ``db`` pool; the page re-reads the case
when the core announces that it changed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fairdesk import cases
from fairdesk.cases import (
    KEEP,
    CaseDetail,
    CaseEdit,
    DeadlineRow,
    NoteRow,
    PartyRow,
    RightRow,
    TimelineRow,
)
from fairdesk.enums import TIMELINE_LABELS, TimelineKind
from fairdesk.errors import FairDeskError
from fairdesk.i18n import N_, _, current_language
from fairdesk.model import Level, Status
from fairdesk.situation import describe, parse_key
from fairdesk.store import Store
from fairdesk.triage import RULE_TEXT
from ui import features, settings
from ui.clock import clock
from ui.fieldnames import field_list
from ui.formatting import countdown, label, local_time
from ui.lazy import LazyWidget, ensure_built, panel_failure
from ui.models.rows import RowsTableModel
from ui.pages.common import table_view
from ui.pages.override_dialog import OverrideLevelDialog
from ui.pages.party_editors import PartiesEditor, RightsEditor
from ui.pages.situation_dialog import COMPUTED, SituationDialog
from ui.tasks import explain, runner
from ui.theme import SPACING
from ui.widgets.combo import EnumCombo
from ui.widgets.countdown import CountdownLabel
from ui.widgets.deadline_editor import DeadlineEditor
from ui.widgets.forms import ErrorLabel, FieldWithError
from ui.widgets.level_badge import LevelBadge

# Timeline lines whose reason is the level rule's text (triage.RULE_TEXT).
_RULE_REASONS = (TimelineKind.CREATED, TimelineKind.LEVEL)


def _utc_text(moment: datetime) -> str:
    return local_time(moment, settings.HOME_TIME_ZONE.get())


def _timeline_text(kind: str) -> str:
    """What a timeline line records; a kind a newer version wrote shows as stored."""
    return _(TIMELINE_LABELS.get(kind, kind))


def _field_list_text(names: str) -> str:
    """The stored "booth, summary" of an edit line as "Booth, Summary" in the user's language."""
    return field_list([name.strip() for name in names.split(",") if name.strip()])


def _edited_fields_text(kind: str, value: str) -> str:
    """An edit line's value with its field names translated: the case's own edits store the
    field names, a party's or right's edits store "<whose>: <field names>" (the name is the
    person's own text, so only what follows its last ": " is a field list)."""
    if kind == TimelineKind.EDIT:
        return _field_list_text(value)
    whose, separator, names = value.rpartition(": ")
    return f"{whose}{separator}{_field_list_text(names)}" if separator else value


_EDIT_KINDS = (TimelineKind.EDIT, TimelineKind.PARTY_EDITED, TimelineKind.RIGHT_EDITED)


def _value_text(kind: str, value: str) -> str:
    """A stored timeline value as the user reads it: a status or level by its label, a
    situation in words, an edit's field names translated; anything else as stored."""
    for enum_value in (*Status, *Level):
        if value == enum_value.value:
            return label(enum_value)
    if kind == TimelineKind.SITUATION:
        if value == COMPUTED:  # the correction was lifted
            return _("Use the computed situation")
        if not value:
            return ""
        try:
            return describe(parse_key(value))
        except ValueError:  # written by a newer version: shown as stored
            return value
    if kind in _EDIT_KINDS:
        return _edited_fields_text(kind, value)
    return value


def _change_text(row: TimelineRow) -> str:
    """The "Change" column: old → new, either side left out when empty."""
    parts = (_value_text(row.kind, row.old_value), _value_text(row.kind, row.new_value))
    return " → ".join(p for p in parts if p)


class CaseDetailPage(QWidget):
    back = Signal()
    shown = Signal(str)  # case id, after each (re)load

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id = ""
        self.detail: CaseDetail | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(SPACING * 2, SPACING, SPACING * 2, SPACING)
        outer.setSpacing(SPACING)
        outer.addWidget(self._build_header())
        self.tabs = QTabWidget()
        self.tabs.currentChanged.connect(lambda index: ensure_built(self.tabs.widget(index)))
        outer.addWidget(self.tabs, 1)
        self._build_tabs()

    # -- building ---------------------------------------------------------------------------

    def _build_header(self) -> QWidget:
        card = QFrame()
        card.setObjectName("card")
        grid = QGridLayout(card)
        grid.setContentsMargins(SPACING, SPACING, SPACING, SPACING)
        grid.setHorizontalSpacing(SPACING * 2)
        self.back_button = QPushButton(_("← Back"))
        self.back_button.clicked.connect(self.back.emit)
        self.number = QLabel()
        self.number.setObjectName("subtitle")
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badge = LevelBadge()
        self.level_rule = QLabel()
        self.level_rule.setWordWrap(True)
        self.level_rule.setObjectName("subtitle")
        self.override_button = QPushButton(_("Override level…"))
        self.override_button.clicked.connect(self.override_level)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        # The situation everything follows, in one sentence, correctable by the user.
        self.situation_line = QLabel()
        self.situation_line.setObjectName("situation")
        self.situation_line.setWordWrap(True)
        self.situation_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.situation_line.font()
        font.setBold(True)
        self.situation_line.setFont(font)
        self.situation_button = QPushButton(_("Correct situation…"))
        self.situation_button.clicked.connect(self.correct_situation)
        self.next_due = CountdownLabel()
        top = QHBoxLayout()
        top.setSpacing(SPACING)  # the theme's zero spacing made "← Back" touch the number
        top.addWidget(self.back_button)
        top.addWidget(self.number)
        top.addStretch(1)
        top.addWidget(self.next_due)
        grid.addLayout(top, 0, 0, 1, 3)
        grid.addWidget(self.title, 1, 0, 1, 3)
        level_row = QHBoxLayout()
        level_row.setSpacing(SPACING)  # the badge must not touch "Rule: …"
        level_row.addWidget(self.badge)
        level_row.addWidget(self.level_rule, 1)
        level_row.addWidget(self.override_button)
        grid.addLayout(level_row, 2, 0, 1, 3)
        situation_row = QHBoxLayout()
        situation_row.addWidget(self.situation_line, 1)
        situation_row.addWidget(self.situation_button)
        grid.addLayout(situation_row, 3, 0, 1, 3)
        grid.addWidget(self.facts, 4, 0, 1, 3)
        return card

    def _build_tabs(self) -> None:
        self.overview = self._build_overview()
        self.parties_model: RowsTableModel[PartyRow] = RowsTableModel(
            [
                (N_("Role"), lambda r: label(r.role)),
                (N_("Name"), lambda r: r.name),
                (N_("Organisation"), lambda r: r.organisation),
                (N_("File number"), lambda r: r.reference),
                (N_("Contact"), lambda r: r.contact),
            ]
        )
        self.rights_model: RowsTableModel[RightRow] = RowsTableModel(
            [
                (N_("Kind"), lambda r: label(r.kind)),
                (N_("Number"), lambda r: r.number),
                (N_("Country or office"), lambda r: r.office),
                (N_("Owner"), lambda r: r.owner),
                (N_("Status"), lambda r: r.right_status),
                (N_("Whose"), lambda r: _("Ours") if r.asserted_by_us else _("Theirs")),
            ]
        )
        self.deadlines_model: RowsTableModel[DeadlineRow] = RowsTableModel(
            [
                (N_("Deadline"), lambda r: r.what),
                (
                    N_("Time left"),
                    lambda r: _("Done") if r.done else countdown(r.due_at, clock().now())[0],
                ),
                (N_("Fair time"), lambda r: local_time(r.due_at, r.fair_time_zone)),
                (N_("Home time"), lambda r: local_time(r.due_at, settings.HOME_TIME_ZONE.get())),
                (N_("Rule"), lambda r: label(r.rule)),
                (N_("Source"), lambda r: r.source),
            ],
            muted=lambda r: r.done,
        )
        self.timeline_model: RowsTableModel[TimelineRow] = RowsTableModel(
            [
                (N_("When"), lambda r: _utc_text(r.created_at)),
                (N_("What"), lambda r: _timeline_text(r.kind)),
                (N_("Change"), _change_text),
                (
                    N_("Reason"),
                    # the rule's text, written in English by the core: translated here
                    lambda r: _(r.reason) if r.kind in _RULE_REASONS else r.reason,
                ),
                (N_("By"), lambda r: r.author),
            ]
        )
        self.tabs.addTab(self.overview, _("Details"))
        self.parties_editor = PartiesEditor(self.store, self.parties_model)
        self.parties_editor.saved.connect(self.reload)
        self.rights_editor = RightsEditor(self.store, self.rights_model)
        self.rights_editor.saved.connect(self.reload)
        self.tabs.addTab(self.parties_editor, _("Parties"))
        self.tabs.addTab(self.rights_editor, _("Rights"))
        self.tabs.addTab(self._build_deadlines_tab(), _("Deadlines"))
        self.tabs.addTab(self._build_notes_tab(), _("Notes"))
        self.tabs.addTab(self._table_tab(self.timeline_model), _("Timeline"))
        self._fixed_tab_count = self.tabs.count()
        clock().tick.connect(self._tick)

    def _table_tab(
        self,
        model: RowsTableModel[object]
        | RowsTableModel[PartyRow]
        | RowsTableModel[RightRow]
        | RowsTableModel[TimelineRow],
    ) -> QWidget:
        view = table_view()
        view.setModel(model)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        return view

    def _build_overview(self) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(SPACING, SPACING, SPACING, SPACING)
        self.edit_title = FieldWithError(QLineEdit())
        self.edit_status: EnumCombo[Status] = EnumCombo(Status)
        self.edit_hall = FieldWithError(QLineEdit())
        self.edit_booth = FieldWithError(QLineEdit())
        self.edit_products = FieldWithError(QLineEdit())
        summary = QPlainTextEdit()
        summary.setTabChangesFocus(True)
        summary.setMinimumHeight(110)
        self.edit_summary = FieldWithError(summary)
        form.addRow(_("Title"), self.edit_title)
        form.addRow(_("Status"), self.edit_status)
        # The fair decides the time zone every time is shown in; instants never change.
        self.edit_fair = QComboBox()
        self.edit_fair.setMinimumContentsLength(30)
        self.manage_fairs_button = QPushButton(_("Manage fairs…"))
        self.manage_fairs_button.setAutoDefault(False)
        self.manage_fairs_button.clicked.connect(self.manage_fairs)
        fair_row = QHBoxLayout()
        fair_row.addWidget(self.edit_fair, 1)
        fair_row.addWidget(self.manage_fairs_button)
        form.addRow(_("Fair"), fair_row)
        place = QHBoxLayout()
        place.addWidget(QLabel(_("Hall")))
        place.addWidget(self.edit_hall, 1)
        place.addWidget(QLabel(_("Booth")))
        place.addWidget(self.edit_booth, 1)
        form.addRow(_("Location"), place)
        form.addRow(_("Products concerned"), self.edit_products)
        form.addRow(_("Summary"), self.edit_summary)
        self.save_button = QPushButton(_("Save changes"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save_fields)
        self.overview_error = ErrorLabel()
        self.overview_saved = QLabel()
        self.overview_saved.setObjectName("subtitle")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.overview_saved, 1)
        form.addRow(self.overview_error)
        form.addRow(buttons)
        return box

    def _build_deadlines_tab(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        self.deadlines_view = table_view()
        self.deadlines_view.setModel(self.deadlines_model)
        self.deadlines_view.selectionModel().selectionChanged.connect(self._deadline_selected)
        self.deadlines_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        layout.addWidget(self.deadlines_view, 1)
        row = QHBoxLayout()
        self.done_button = QPushButton(_("Mark selected as done"))
        self.done_button.clicked.connect(self.mark_done)
        row.addWidget(self.done_button)
        row.addStretch(1)
        layout.addLayout(row)
        add = QHBoxLayout()
        self.new_deadline_what = QLineEdit()
        self.new_deadline_what.setPlaceholderText(
            _("What is due, e.g. written statement to the panel")
        )
        self.new_deadline_when = DeadlineEditor(clock().now())
        self.add_deadline_button = QPushButton(_("Add deadline"))
        self.add_deadline_button.clicked.connect(self.add_deadline)
        self.new_deadline_what.returnPressed.connect(self.add_deadline)
        add.addWidget(self.new_deadline_what, 2)
        add.addWidget(self.new_deadline_when, 2)
        add.addWidget(self.add_deadline_button)
        layout.addLayout(add)
        self.deadline_error = ErrorLabel()
        layout.addWidget(self.deadline_error)
        return box

    def _build_notes_tab(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        self.notes_text = QPlainTextEdit()
        self.notes_text.setReadOnly(True)
        layout.addWidget(self.notes_text, 1)
        hint = QLabel(_("Notes are never edited or deleted; add a new note to correct one."))
        hint.setObjectName("subtitle")
        layout.addWidget(hint)
        self.new_note = QPlainTextEdit()
        self.new_note.setPlaceholderText(_("Add a note…"))
        self.new_note.setTabChangesFocus(True)
        self.new_note.setFixedHeight(80)
        layout.addWidget(self.new_note)
        self.note_error = ErrorLabel()
        layout.addWidget(self.note_error)
        row = QHBoxLayout()
        self.add_note_button = QPushButton(_("Add note"))
        self.add_note_button.clicked.connect(self.add_note)
        row.addWidget(self.add_note_button)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    # -- loading ----------------------------------------------------------------------------

    def show_case(self, case_id: str) -> None:
        switching = case_id != self.case_id
        self.case_id = case_id
        if switching:
            self.tabs.setCurrentIndex(0)
            for error in (self.overview_error, self.deadline_error, self.note_error):
                error.show_error("")
            self.overview_saved.setText("")
        self.reload(rebuild_panels=switching)

    def reload(self, *, rebuild_panels: bool = False) -> None:
        if not self.case_id:
            return
        try:
            # One case with its children: a handful of indexed reads, fine on the GUI thread.
            detail = cases.get_case(self.store, self.case_id)
        except FairDeskError as exc:
            self.title.setText(str(exc))
            return
        self._show(detail, rebuild_panels)

    def _show(self, detail: CaseDetail, rebuild_panels: bool) -> None:
        first = self.detail is None or self.detail.case.id != detail.case.id
        self.detail = detail
        row = detail.case
        self.number.setText(f"{row.number} · {label(row.direction)}")
        self.title.setText(row.title)
        self.badge.set_level(row.level)
        rule = _(RULE_TEXT.get(detail.level_rule, ""))
        if detail.level_override is not None:
            self.level_rule.setText(
                _("Set by hand ({reason}); the rules say {level}: {rule}").format(
                    reason=detail.override_reason, level=label(detail.computed_level), rule=rule
                )
            )
        else:
            self.level_rule.setText(_("Rule: {rule}").format(rule=rule))
        fair = detail.fair
        place = " ".join(
            p
            for p in (
                detail.hall and _("Hall {hall}").format(hall=detail.hall),
                detail.booth and _("Booth {booth}").format(booth=detail.booth),
            )
            if p
        )
        facts = [
            _("Status: {status}").format(status=label(row.status)),
            _("Trigger: {trigger}").format(trigger=label(row.trigger)),
        ]
        if fair is not None:
            zh = current_language().startswith("zh")
            facts.append(
                _("Fair: {fair} ({city}, {zone})").format(
                    fair=fair.name_zh if zh and fair.name_zh else fair.name,
                    city=fair.city,
                    zone=fair.time_zone,
                )
            )
        if place:
            facts.append(place)
        self.facts.setText("   ·   ".join(facts))
        self._show_situation(detail)
        self.next_due.set_due(row.next_deadline)
        if first or not self.edit_title.field.hasFocus():
            self._fill_overview(detail)
        self.parties_editor.show_rows(detail.case.id, detail.parties)
        self.rights_editor.show_rows(detail.case.id, detail.rights)
        self.deadlines_model.set_rows(detail.deadlines)
        self.timeline_model.set_rows(tuple(reversed(detail.timeline)))
        self.notes_text.setPlainText("\n\n".join(self._note_text(n) for n in detail.notes))
        self.new_deadline_when.fair_zone = row.fair_time_zone or "UTC"
        if rebuild_panels:
            self._build_panels()
        self.shown.emit(row.id)

    def _show_situation(self, detail: CaseDetail) -> None:
        reading = detail.situation
        if reading is None:
            self.situation_line.setText("")
            return
        text = describe(reading.situation)
        if reading.corrected:
            text = _("{situation} (corrected by hand; from the facts: {computed})").format(
                situation=text, computed=describe(reading.computed)
            )
        self.situation_line.setText(text)

    def _note_text(self, note: NoteRow) -> str:
        who = f" · {note.author}" if note.author else ""
        return f"[{_utc_text(note.created_at)}{who}]\n{note.text}"

    def _fill_fairs(self, selected: str | None) -> None:
        self.edit_fair.blockSignals(True)
        self.edit_fair.clear()
        self.edit_fair.addItem(_("No fair / not at a fair"), "")
        language = current_language()
        for fair in cases.list_fairs(self.store):
            self.edit_fair.addItem(f"{fair.display_name(language)} · {fair.time_zone}", fair.id)
        self.edit_fair.setCurrentIndex(max(0, self.edit_fair.findData(selected or "")))
        self.edit_fair.blockSignals(False)

    def _fill_overview(self, detail: CaseDetail) -> None:
        assert isinstance(self.edit_title.field, QLineEdit)
        self.edit_title.field.setText(detail.case.title)
        self.edit_status.set_value(detail.case.status)
        self._fill_fairs(detail.fair.id if detail.fair else None)
        for widget, value in (
            (self.edit_hall, detail.hall),
            (self.edit_booth, detail.booth),
            (self.edit_products, detail.products),
        ):
            assert isinstance(widget.field, QLineEdit)
            widget.field.setText(value)
        assert isinstance(self.edit_summary.field, QPlainTextEdit)
        self.edit_summary.field.setPlainText(detail.summary)

    def _build_panels(self) -> None:
        while self.tabs.count() > self._fixed_tab_count:
            widget = self.tabs.widget(self._fixed_tab_count)
            self.tabs.removeTab(self._fixed_tab_count)
            if widget is not None:
                widget.deleteLater()
        for panel in features.CASE_PANELS:
            # Built when its tab is first shown (ui.lazy): most visits never open most panels.
            lazy = LazyWidget(
                functools.partial(panel.factory, self.store, self.case_id), panel_failure
            )
            self.tabs.addTab(lazy, panel.title())

    def _tick(self, _now: datetime) -> None:
        if self.isVisible() and self.deadlines_model.rowCount():
            self.deadlines_model.dataChanged.emit(
                self.deadlines_model.index(0, 1),
                self.deadlines_model.index(self.deadlines_model.rowCount() - 1, 1),
            )

    # -- actions ----------------------------------------------------------------------------

    def _write(
        self,
        fn: Callable[..., object],
        *args: object,
        error: ErrorLabel,
        done: Callable[[], None] | None = None,
    ) -> None:
        error.show_error("")

        def finished(_result: object) -> None:
            if done is not None:
                done()
            self.reload()

        runner().run(
            fn, *args, on_done=finished, on_error=lambda exc: error.show_error(explain(exc))
        )

    def save_fields(self) -> None:
        assert isinstance(self.edit_title.field, QLineEdit)
        assert isinstance(self.edit_summary.field, QPlainTextEdit)
        texts: dict[str, str] = {}
        for key, widget in (
            ("hall", self.edit_hall),
            ("booth", self.edit_booth),
            ("products", self.edit_products),
        ):
            assert isinstance(widget.field, QLineEdit)
            texts[key] = widget.field.text()
        edit = CaseEdit(
            title=self.edit_title.field.text(),
            status=self.edit_status.value() or KEEP,
            summary=self.edit_summary.field.toPlainText(),
            fair_id=self.edit_fair.currentData() or None,
            hall=texts["hall"],
            booth=texts["booth"],
            products=texts["products"],
        )
        self.overview_saved.setText("")
        self._write(
            cases.edit_case,
            self.store,
            self.case_id,
            edit,
            error=self.overview_error,
            done=lambda: self.overview_saved.setText(_("Saved.")),
        )

    def add_note(self) -> None:
        text = self.new_note.toPlainText()
        self._write(
            cases.add_note,
            self.store,
            self.case_id,
            text,
            error=self.note_error,
            done=self.new_note.clear,
        )

    def add_deadline(self) -> None:
        data = self.new_deadline_when.value(self.new_deadline_what.text())
        if data is None:
            return
        self._write(
            cases.add_deadline,
            self.store,
            self.case_id,
            data,
            error=self.deadline_error,
            done=self.new_deadline_what.clear,
        )

    def selected_deadline(self) -> DeadlineRow | None:
        rows = self.deadlines_view.selectionModel().selectedRows()
        return self.deadlines_model.row_at(rows[0].row()) if rows else None

    def _deadline_selected(self) -> None:
        row = self.selected_deadline()
        self.done_button.setText(
            _("Reopen selected") if row is not None and row.done else _("Mark selected as done")
        )

    def mark_done(self) -> None:
        row = self.selected_deadline()
        if row is None:
            self.deadline_error.show_error(_("Select a deadline first."))
            return
        self._write(
            cases.set_deadline_done, self.store, row.id, not row.done, error=self.deadline_error
        )

    def manage_fairs(self) -> None:
        from ui.pages.fairs_dialog import FairsDialog

        dialog = FairsDialog(self.store, self, select=self.edit_fair.currentData() or "")
        dialog.changed.connect(lambda _fair_id: self._fill_fairs(self.edit_fair.currentData()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def correct_situation(self) -> None:
        if self.detail is None or self.detail.situation is None:
            return
        dialog = SituationDialog(self.store, self.detail, self)
        dialog.accepted.connect(self.reload)
        dialog.open()

    def override_level(self) -> None:
        if self.detail is None:
            return
        dialog = OverrideLevelDialog(self.store, self.detail, self)
        dialog.accepted.connect(self.reload)
        dialog.open()
