"""New emergency (Ctrl+N): the few facts that matter first, saved in one step with Enter.

Order of the fields follows what a responder holds in hand: what was served or seen, by whom,
which right, the deadline, then where. Everything else can be added later on the case page.
Each field's problem is shown under the field in the core's own words and nothing is saved
until every field is acceptable; ``cases.create_case`` saves all of it in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fairdesk import cases
from fairdesk.cases import CaseInput, FairRow, PartyInput, RightInput
from fairdesk.deadlines import resolve_due
from fairdesk.errors import FairDeskError, ValidationError
from fairdesk.i18n import _, current_language
from fairdesk.model import DeadlineRule, Direction, PartyRole, RightKind, Trigger
from fairdesk.rights import check_file_number
from fairdesk.store import Store
from fairdesk.timeutil import zone
from fairdesk.validation import CODE_MAX, DEADLINE_MAX, LONG_MAX, PLACE_MAX, TITLE_MAX, clean_text
from ui.clock import clock
from ui.formatting import label
from ui.tasks import explain, runner
from ui.theme import SPACING
from ui.widgets.combo import EnumCombo
from ui.widgets.deadline_editor import DATETIME_FORMAT, DeadlineEditor, from_qdatetime, to_qdatetime
from ui.widgets.forms import ErrorLabel, FieldWithError

# Triggers where we are the ones acting (we found a copy); all others were served on us.
_BY_US_TRIGGERS = {Trigger.COPY_SPOTTED}

# Who may have handed the papers over: officials and messengers, never the rights holder.
# The person who serves an order is recorded under their own role; the applicant named on the
# papers is asked for separately (a bailiff stored as "complainant" once made the German
# declaration read "Schutzrechtsinhaber: Gerichtsvollzieher …").
SERVED_BY_ROLES = (
    PartyRole.BAILIFF,
    PartyRole.CUSTOMS,
    PartyRole.POLICE,
    PartyRole.ORGANISER_IP_DESK,
    PartyRole.THEIR_COUNSEL,
)
_DEFAULT_SERVED_BY = {
    Trigger.COURT_ORDER: PartyRole.BAILIFF,
    Trigger.SEIZURE: PartyRole.BAILIFF,
    Trigger.CUSTOMS_ACTION: PartyRole.CUSTOMS,
    Trigger.PANEL_SUMMONS: PartyRole.ORGANISER_IP_DESK,
    Trigger.COMPLAINT: PartyRole.ORGANISER_IP_DESK,
    Trigger.WARNING_LETTER: PartyRole.THEIR_COUNSEL,
}


def running_fair(fairs: list[FairRow], now: datetime) -> FairRow | None:
    """The fair taking place today (fair-local date), if any: the likely one."""
    for fair in fairs:
        local_day = now.astimezone(zone(fair.time_zone)).date()
        if fair.starts_on and fair.ends_on and fair.starts_on <= local_day <= fair.ends_on:
            return fair
    return None


def _section(text: str) -> QLabel:
    title = QLabel(text)
    title.setObjectName("sectionTitle")
    return title


class NewEmergencyDialog(QDialog):
    created = Signal(str)  # the new case's id

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle(_("New emergency"))
        self.setMinimumWidth(640)
        now = clock().now()
        self.fairs = cases.list_fairs(store)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACING * 2, SPACING * 2, SPACING * 2, SPACING * 2)
        form = QFormLayout()
        form.setVerticalSpacing(8)
        form.setHorizontalSpacing(SPACING)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)
        self._form = form

        # What happened
        form.addRow(_section(_("What happened")))
        self.trigger: EnumCombo[Trigger] = EnumCombo(Trigger)
        self.direction: EnumCombo[Direction] = EnumCombo(Direction)
        form.addRow(_("What was served or seen"), self.trigger)
        form.addRow(_("Direction"), self.direction)

        # Who
        self.party_name = FieldWithError(QLineEdit())
        self.party_org = FieldWithError(QLineEdit())
        self.party_label = QLabel()
        form.addRow(self.party_label, self.party_name)
        form.addRow(_("Organisation"), self.party_org)

        # Which right
        form.addRow(_section(_("Which right")))
        self.right_kind: EnumCombo[RightKind] = EnumCombo(RightKind, none_text=_("Not known yet"))
        self.right_number = FieldWithError(QLineEdit())
        self.right_number.field.setPlaceholderText(_("e.g. EP 3 000 001"))
        self.right_office = FieldWithError(QLineEdit())
        self.right_office.field.setPlaceholderText(_("Office, e.g. EP"))
        right_row = QHBoxLayout()
        right_row.addWidget(self.right_kind, 2)
        right_row.addWidget(self.right_number, 3)
        right_row.addWidget(self.right_office, 2)
        form.addRow(_("Kind, number, office"), right_row)

        # Where (before the deadline: the fair decides the deadline's time zone)
        form.addRow(_section(_("Deadline and place")))
        self.fair = QComboBox()
        self.fair.addItem(_("No fair / not at a fair"), None)
        for fair in self.fairs:
            self.fair.addItem(fair.display_name(current_language()), fair.id)
        current = running_fair(self.fairs, now)
        if current is not None:
            self.fair.setCurrentIndex(self.fair.findData(current.id))
        form.addRow(_("Fair"), self.fair)
        self.hall = FieldWithError(QLineEdit())
        self.booth = FieldWithError(QLineEdit())
        place = QHBoxLayout()
        place.addWidget(self.hall, 1)
        place.addSpacing(SPACING)
        place.addWidget(QLabel(_("Booth")))
        place.addSpacing(6)
        place.addWidget(self.booth, 1)
        form.addRow(_("Hall"), place)
        self.served_at = QDateTimeEdit(to_qdatetime(now.astimezone(zone(self.fair_zone()))))
        self.served_at.setDisplayFormat(DATETIME_FORMAT)
        self.served_zone = QLabel()
        served_row = QHBoxLayout()
        served_row.addWidget(self.served_at)
        served_row.addSpacing(SPACING)
        served_row.addWidget(self.served_zone, 1)
        form.addRow(_("Served or seen at"), served_row)
        # Who served it and which court or authority: only when we were served.
        self.served_by_role: EnumCombo[PartyRole] = EnumCombo(PartyRole, members=SERVED_BY_ROLES)
        self.served_by = FieldWithError(QLineEdit())
        self.served_by.field.setPlaceholderText(_("e.g. Gerichtsvollzieher K. Weber"))
        # Wide enough for its whole placeholder (it was clipped beside the role box).
        who = self.served_by.field
        who.setMinimumWidth(who.fontMetrics().horizontalAdvance(who.placeholderText()) + 24)
        served_by_row = QHBoxLayout()
        served_by_row.addWidget(self.served_by_role, 2)
        served_by_row.addWidget(self.served_by, 3)
        self.served_by_label = QLabel(_("Who served it"))
        form.addRow(self.served_by_label, served_by_row)
        self.court = FieldWithError(QLineEdit())
        self.court.field.setPlaceholderText(_("e.g. Landgericht Düsseldorf"))
        self.court_ref = FieldWithError(QLineEdit())
        self.court_ref.field.setPlaceholderText(_("File number, e.g. 4a O 12/26"))
        # Wide enough for its whole placeholder (it was clipped to "File number, e.g. 4a …").
        ref = self.court_ref.field
        ref.setMinimumWidth(ref.fontMetrics().horizontalAdvance(ref.placeholderText()) + 24)
        court_row = QHBoxLayout()
        court_row.addWidget(self.court, 3)
        court_row.addWidget(self.court_ref, 2)
        self.court_label = QLabel(_("Court or authority"))
        form.addRow(self.court_label, court_row)
        self._against_us_rows = (
            self.served_by_label,
            self.served_by_role,
            self.served_by,
            self.court_label,
            self.court,
            self.court_ref,
        )
        self.deadline_what = FieldWithError(QLineEdit())
        self.deadline_when = DeadlineEditor(now, self.fair_zone(), allow_none=True)
        self.deadline_error = ErrorLabel()
        deadline_box = QVBoxLayout()
        deadline_box.setSpacing(4)
        deadline_box.addWidget(self.deadline_when)
        deadline_box.addWidget(self.deadline_what)
        deadline_box.addWidget(self.deadline_error)
        form.addRow(_("Deadline (fair time)"), deadline_box)

        # Title and note
        form.addRow(_section(_("Title and note")))
        self.title = FieldWithError(QLineEdit())
        form.addRow(_("Title"), self.title)
        self.note = FieldWithError(QLineEdit())
        self.note.field.setPlaceholderText(_("A short note (optional)"))
        form.addRow(_("Note"), self.note)

        self.form_error = ErrorLabel()
        self.form_error.setObjectName("formError")
        layout.addWidget(self.form_error)
        buttons = QHBoxLayout()
        hint = QLabel(_("Enter saves · Esc cancels"))
        hint.setObjectName("subtitle")
        buttons.addWidget(hint, 1)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton(_("Save case"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

        self.trigger.currentIndexChanged.connect(self._trigger_changed)
        self.direction.currentIndexChanged.connect(self._direction_changed)
        self.fair.currentIndexChanged.connect(self._fair_changed)
        self.right_kind.currentIndexChanged.connect(self._suggest)
        for field in (self.right_number, self.booth, self.hall):
            assert isinstance(field.field, QLineEdit)
            field.field.textChanged.connect(self._suggest)
        self.trigger.set_value(Trigger.COMPLAINT)
        self._trigger_changed()
        self._direction_changed()
        self._fair_changed()
        self.trigger.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- helpers ----------------------------------------------------------------------------

    def fair_zone(self) -> str:
        fair_id = self.fair.currentData() if hasattr(self, "fair") else None
        for fair in self.fairs:
            if fair.id == fair_id:
                return fair.time_zone
        return "UTC"

    def _line(self, field: FieldWithError) -> QLineEdit:
        assert isinstance(field.field, QLineEdit)
        return field.field

    def _trigger_changed(self) -> None:
        trigger = self.trigger.value()
        direction = Direction.BY_US if trigger in _BY_US_TRIGGERS else Direction.AGAINST_US
        self.direction.set_value(direction)
        if trigger in _DEFAULT_SERVED_BY and not self._line(self.served_by).text().strip():
            self.served_by_role.set_value(_DEFAULT_SERVED_BY[trigger])
        if trigger in (Trigger.RISK_NOTICE, Trigger.WATCH):
            self.deadline_when.set_rule(None)
        elif self.deadline_when.rule.value() is None:
            self.deadline_when.set_rule(
                DeadlineRule.HOURS_FROM_SERVICE
                if trigger not in _BY_US_TRIGGERS
                else DeadlineRule.END_OF_FAIR_DAY
            )
        self._suggest()

    def _direction_changed(self) -> None:
        by_us = self.direction.value() is Direction.BY_US
        self.party_label.setText(
            _("Who is copying (name)") if by_us else _("Applicant / rights holder")
        )
        self._line(self.party_name).setPlaceholderText(
            "" if by_us else _("Name as on the papers, if one is named")
        )
        for widget in self._against_us_rows:
            widget.setVisible(not by_us)
        # Hide whole rows: hidden widgets alone keep the rows' spacing as a blank band.
        self._form.setRowVisible(self.served_by_label, not by_us)
        self._form.setRowVisible(self.court_label, not by_us)
        if self.isVisible():
            # Hidden rows would otherwise leave their height as blank bands around the deadline.
            self.layout().activate()  # type: ignore[union-attr]
            self.resize(self.width(), self.sizeHint().height())
        self._line(self.deadline_what).setPlaceholderText(
            _("What is due (default: {what})").format(what=self.default_what())
        )

    def default_what(self) -> str:
        if self.direction.value() is Direction.BY_US:
            return _("Act before the fair ends")
        return _("Answer due")

    def _fair_changed(self) -> None:
        tz = self.fair_zone()
        # The time of service is an instant: show the same instant in the new fair's zone.
        # (A fixed deadline keeps its wall-clock time: that is how the papers state it.)
        previous = getattr(self, "_served_zone_name", tz)
        served = from_qdatetime(self.served_at.dateTime(), previous)
        self.served_at.setDateTime(to_qdatetime(served.astimezone(zone(tz))))
        self._served_zone_name = tz
        self.deadline_when.fair_zone = tz
        self.served_zone.setText(_("time zone: {zone}").format(zone=tz))
        self._suggest()

    def suggested_title(self) -> str:
        parts = [label(self.trigger.value())]
        kind = self.right_kind.value()
        number = self._line(self.right_number).text().strip()
        if kind is not None:
            parts.append(f"{label(kind)} {number}".strip())
        elif number:
            parts.append(number)
        booth = self._line(self.booth).text().strip()
        hall = self._line(self.hall).text().strip()
        if booth or hall:
            parts.append(_("booth {place}").format(place=" ".join(p for p in (hall, booth) if p)))
        return " – ".join(parts)

    def _suggest(self) -> None:
        self._line(self.title).setPlaceholderText(self.suggested_title())

    # -- saving -----------------------------------------------------------------------------

    def _fields(self) -> list[FieldWithError]:
        return [
            self.party_name,
            self.party_org,
            self.right_number,
            self.right_office,
            self.hall,
            self.booth,
            self.served_by,
            self.court,
            self.court_ref,
            self.deadline_what,
            self.title,
            self.note,
        ]

    def _check(self, field: FieldWithError, fn: Callable[[], object]) -> bool:
        try:
            fn()
        except ValidationError as exc:
            field.set_error(str(exc))
            return False
        field.set_error("")
        return True

    def collect(self) -> CaseInput | None:
        """The form as a CaseInput, or None after showing each field's problem beside it."""
        for field in self._fields():
            field.set_error("")
        self.deadline_error.show_error("")
        self.form_error.show_error("")
        text = {
            name: self._line(getattr(self, name)).text()
            for name in (
                "party_name",
                "party_org",
                "right_number",
                "right_office",
                "hall",
                "booth",
                "served_by",
                "court",
                "court_ref",
                "deadline_what",
                "title",
                "note",
            )
        }
        title = text["title"] if text["title"].strip() else self.suggested_title()
        direction = self.direction.value() or Direction.AGAINST_US
        checks = [
            (self.title, lambda: clean_text(_("Title"), title, required=True, max_len=TITLE_MAX)),
            (self.party_name, lambda: clean_text(_("Party name"), text["party_name"])),
            (self.party_org, lambda: clean_text(_("Organisation"), text["party_org"])),
            (
                self.right_number,
                lambda: clean_text(_("Right number"), text["right_number"], max_len=CODE_MAX),
            ),
            (
                self.right_office,
                lambda: clean_text(_("Country or office"), text["right_office"], max_len=CODE_MAX),
            ),
            (self.hall, lambda: clean_text(_("Hall"), text["hall"], max_len=PLACE_MAX)),
            (self.booth, lambda: clean_text(_("Booth"), text["booth"], max_len=PLACE_MAX)),
            (self.note, lambda: clean_text(_("Note"), text["note"], max_len=LONG_MAX)),
        ]
        if direction is Direction.AGAINST_US:
            checks += [
                (self.served_by, lambda: clean_text(_("Party name"), text["served_by"])),
                (self.court, lambda: clean_text(_("Court or authority"), text["court"])),
                (self.court_ref, lambda: self._check_court_ref(text["court"], text["court_ref"])),
            ]
        ok = all([self._check(field, fn) for field, fn in checks])
        served = from_qdatetime(self.served_at.dateTime(), self.fair_zone())
        what = text["deadline_what"].strip() or self.default_what()
        deadline = self.deadline_when.value(what)
        if deadline is not None:
            ok = (
                self._check(
                    self.deadline_what,
                    lambda: clean_text(_("Deadline"), text["deadline_what"], max_len=DEADLINE_MAX),
                )
                and ok
            )
            try:
                resolve_due(
                    deadline.rule,
                    due_at=deadline.due_at,
                    served_at=served,
                    hours=deadline.hours,
                    fair_day=deadline.fair_day,
                    fair_time_zone=self.fair_zone(),
                    closing_time=self._closing_time(),
                )
            except ValidationError as exc:
                self.deadline_error.show_error(str(exc))
                ok = False
        if not ok:
            return None
        parties = []
        if text["party_name"].strip():
            # We were served: the named party is the applicant / rights holder. We act: the copier.
            role = PartyRole.RESPONDENT if direction is Direction.BY_US else PartyRole.COMPLAINANT
            parties.append(PartyInput(role, text["party_name"], text["party_org"]))
        if direction is Direction.AGAINST_US:
            if text["court"].strip():
                parties.append(
                    PartyInput(PartyRole.COURT, text["court"], reference=text["court_ref"])
                )
            if text["served_by"].strip():
                served_role = self.served_by_role.value() or PartyRole.BAILIFF
                parties.append(PartyInput(served_role, text["served_by"]))
        rights = []
        kind = self.right_kind.value()
        if kind is not None or text["right_number"].strip():
            rights.append(
                RightInput(
                    kind or RightKind.INVENTION_PATENT,
                    text["right_number"],
                    text["right_office"],
                    asserted_by_us=direction is Direction.BY_US,
                )
            )
        return CaseInput(
            title=title,
            direction=direction,
            trigger=self.trigger.value() or Trigger.COMPLAINT,
            fair_id=self.fair.currentData(),
            hall=text["hall"],
            booth=text["booth"],
            served_at=served,
            parties=parties,
            rights=rights,
            deadlines=[deadline] if deadline is not None else [],
            note=text["note"],
        )

    def _check_court_ref(self, court: str, reference: str) -> str:
        value = check_file_number(reference)
        if value and not court.strip():
            raise ValidationError(_("Give the court or authority this file number belongs to."))
        return value

    def _closing_time(self) -> str:
        fair_id = self.fair.currentData()
        # No fair: no closing time known; "end of the fair day" then says so instead of 18:00.
        return next((f.closing_time for f in self.fairs if f.id == fair_id), "")

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return  # a save is already under way: Enter pressed twice
        data = self.collect()
        if data is None:
            return
        self.save_button.setEnabled(False)
        runner().run(
            cases.create_case, self.store, data, on_done=self._saved, on_error=self._failed
        )

    def _saved(self, case_id: str) -> None:
        self.created.emit(case_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if not isinstance(exc, FairDeskError):
            self.form_error.show_error(explain(exc, _("The case was not saved.")))
            return
        message = str(exc)
        # The core names the field in its sentence; show it there as well as below the form.
        lowered = message.lower()
        if _("deadline").lower() in lowered or _("served").lower() in lowered:
            self.deadline_error.show_error(message)
        else:
            self.form_error.show_error(message)

    def keyPressEvent(self, event: object) -> None:
        from PySide6.QtGui import QKeyEvent

        assert isinstance(event, QKeyEvent)
        # Enter saves from any field (spin boxes and date edits swallow it otherwise).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save()
            return
        super().keyPressEvent(event)
