"""New emergency, driven from the keyboard only: Ctrl+N, type, Tab, Enter; then the store is
checked. Bad input is shown next to its field and nothing is saved."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.model import DeadlineRule, Direction, Level, PartyRole, RightKind, Trigger
from fairdesk.store import Store
from tests.ui.conftest import NOW
from ui.main_window import MainWindow
from ui.pages.new_emergency import NewEmergencyDialog
from ui.widgets.deadline_editor import to_qdatetime


def _window(qtbot: QtBot, store: Store) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    # Shortcuts go to the active window; offscreen, activation has to be asked for.
    window.activateWindow()
    handle = window.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.today.view.setFocus()
    return window


def _open_dialog(qtbot: QtBot, window: MainWindow) -> NewEmergencyDialog:
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(NewEmergencyDialog)
    assert dialog is not None and dialog.isVisible()
    handle = dialog.windowHandle()
    assert handle is not None
    handle.requestActivate()  # a window manager would do this; offscreen has none
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def _type(qtbot: QtBot, text: str = "", *, tabs: int = 1) -> None:
    """Type into whatever has focus, then Tab on: the user's hands never leave the keys."""
    focused = QApplication.focusWidget()
    assert focused is not None
    if text.isascii():
        qtbot.keyClicks(focused, text)
    else:  # QTest cannot type non-ASCII keys; an input method commits such text
        event = QInputMethodEvent()
        event.setCommitString(text)
        QApplication.sendEvent(focused, event)
    for _ in range(tabs):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)


def test_keyboard_only_emergency_is_saved_in_one_step(qtbot: QtBot, fair_store: Store) -> None:
    window = _window(qtbot, fair_store)
    before = cases.count_cases(fair_store)
    dialog = _open_dialog(qtbot, window)
    assert QApplication.focusWidget() is dialog.trigger  # first field has the focus
    # Trigger: pick "Summons from the fair's IP panel" by typing its first letter.
    qtbot.keyClicks(dialog.trigger, "S")
    assert (
        dialog.trigger.value() is Trigger.SEIZURE or dialog.trigger.value() is Trigger.PANEL_SUMMONS
    )
    while dialog.trigger.value() is not Trigger.PANEL_SUMMONS:
        qtbot.keyClick(dialog.trigger, Qt.Key.Key_Down)
    _type(qtbot, tabs=2)  # keep the suggested direction, on to "who served it"
    assert QApplication.focusWidget() is dialog.party_name.field
    _type(qtbot, "Erika Beispiel")
    _type(qtbot, "Beispiel Haushaltsgeräte GmbH")
    assert QApplication.focusWidget() is dialog.right_kind
    qtbot.keyClicks(dialog.right_kind, "D")  # Design
    _type(qtbot)
    _type(qtbot, "EM 000001-0001")
    _type(qtbot, "EU")
    assert QApplication.focusWidget() is dialog.fair  # the running fair is preselected
    _type(qtbot, tabs=1)
    _type(qtbot, "11.2")
    _type(qtbot, "C18")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # Enter saves

    assert cases.count_cases(fair_store) == before + 1
    assert not dialog.isVisible()
    assert window.current_key() == "case"  # the new case is open
    detail = cases.get_case(fair_store, window.case_detail.case_id)
    assert detail.case.trigger is Trigger.PANEL_SUMMONS
    assert detail.case.direction is Direction.AGAINST_US
    assert (
        detail.case.title
        == "Summons from the fair's IP panel – Design EM 000001-0001 – booth 11.2 C18"
    )
    assert [(p.role, p.name, p.organisation) for p in detail.parties] == [
        (PartyRole.COMPLAINANT, "Erika Beispiel", "Beispiel Haushaltsgeräte GmbH")
    ]
    assert [(r.kind, r.number, r.office) for r in detail.rights] == [
        (RightKind.DESIGN, "EM 000001-0001", "EU")
    ]
    assert (detail.hall, detail.booth) == ("11.2", "C18")
    # Default deadline: 24 hours from service, service = now (the clock).
    [deadline] = detail.deadlines
    assert deadline.rule is DeadlineRule.HOURS_FROM_SERVICE
    assert deadline.what == "Answer due"
    assert deadline.due_at == NOW + timedelta(hours=24)
    assert detail.case.level is Level.RED  # R2: an answer due within 24 hours
    assert window.case_detail.title.text() == detail.case.title


def test_bad_input_is_shown_beside_the_field_and_nothing_is_saved(
    qtbot: QtBot, fair_store: Store
) -> None:
    window = _window(qtbot, fair_store)
    before = cases.count_cases(fair_store)
    dialog = _open_dialog(qtbot, window)
    dialog.title.field.setText("T" * 10_000)
    dialog.party_name.field.setText("Max\x00Muster")
    qtbot.keyClick(dialog.title.field, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.title.error.text() == "Title is too long (10000 characters; at most 300)."
    assert dialog.party_name.error.text() == (
        "Party name contains invisible control characters; please retype it."
    )
    assert dialog.party_name.error.isVisible()
    assert cases.count_cases(fair_store) == before

    # Fixed deadline in the past (fair-local time): refused by the core, shown at the deadline.
    dialog.title.field.setText("Complaint")
    dialog.party_name.field.setText("Max Muster")
    dialog.deadline_when.set_rule(DeadlineRule.FIXED)
    dialog.deadline_when.fixed.setDateTime(to_qdatetime(NOW - timedelta(days=1)))
    qtbot.keyClick(dialog.title.field, Qt.Key.Key_Return)
    assert "already in the past" in dialog.deadline_error.text()
    assert dialog.title.error.text() == "" and dialog.party_name.error.text() == ""
    assert cases.count_cases(fair_store) == before
    # Fix it and save: the same dialog saves everything in one step.
    dialog.deadline_when.fixed.setDateTime(to_qdatetime(NOW + timedelta(days=1)))
    qtbot.keyClick(dialog.title.field, Qt.Key.Key_Return)
    assert cases.count_cases(fair_store) == before + 1
    assert not dialog.isVisible()


def test_escape_cancels_without_saving(qtbot: QtBot, fair_store: Store) -> None:
    window = _window(qtbot, fair_store)
    before = cases.count_cases(fair_store)
    dialog = _open_dialog(qtbot, window)
    qtbot.keyClicks(dialog.trigger, "C")
    qtbot.keyClick(dialog.trigger, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert cases.count_cases(fair_store) == before


def test_copy_spotted_suggests_by_us_and_end_of_fair_day(qtbot: QtBot, fair_store: Store) -> None:
    window = _window(qtbot, fair_store)
    dialog = _open_dialog(qtbot, window)
    dialog.trigger.set_value(Trigger.COPY_SPOTTED)
    assert dialog.direction.value() is Direction.BY_US
    assert dialog.party_label.text() == "Who is copying (name)"
    dialog.deadline_when.set_rule(None)
    dialog.trigger.set_value(Trigger.WATCH)
    dialog.trigger.set_value(Trigger.COPY_SPOTTED)
    assert dialog.deadline_when.rule.value() is DeadlineRule.END_OF_FAIR_DAY


def test_time_of_service_stays_the_same_instant_when_the_fair_changes(
    qtbot: QtBot, fair_store: Store
) -> None:
    from ui.widgets.deadline_editor import from_qdatetime

    window = _window(qtbot, fair_store)
    dialog = _open_dialog(qtbot, window)
    assert dialog.fair_zone() == "Europe/Berlin"  # the fair running today is preselected
    served = from_qdatetime(dialog.served_at.dateTime(), "Europe/Berlin")
    assert served == NOW
    dialog.fair.setCurrentIndex(dialog.fair.findText("CES (Las Vegas)"))
    assert dialog.served_zone.text() == "time zone: America/Los_Angeles"
    assert from_qdatetime(dialog.served_at.dateTime(), "America/Los_Angeles") == NOW


def test_court_order_records_applicant_court_and_bailiff_under_their_own_roles(
    qtbot: QtBot, fair_store: Store, tmp_path: object
) -> None:
    """Who served the papers is never the rights holder: the bailiff, the court with its file
    number and the applicant each get their role, and the German declaration and the risk map
    read the applicant, not the bailiff or the court."""
    from pathlib import Path

    from fairdesk.documents import service
    from fairdesk.knowledge import riskmaps
    from tests.fairdesk.documents.conftest import normalise, pdftotext

    window = _window(qtbot, fair_store)
    dialog = _open_dialog(qtbot, window)
    dialog.trigger.set_value(Trigger.COURT_ORDER)
    assert dialog.party_label.text() == "Applicant / rights holder"
    assert dialog.served_by_role.value() is PartyRole.BAILIFF  # proposed for a court order
    assert dialog.served_by.isVisible() and dialog.court.isVisible()
    dialog.party_name.field.setText("Dr. Erika Beispiel")
    dialog.party_org.field.setText("Beispiel Pumpen GmbH")
    dialog.served_by.field.setText("Gerichtsvollzieher K. Weber")
    dialog.court.field.setText("Landgericht Düsseldorf")
    dialog.court_ref.field.setText("4a O 12/26 <")  # a character no court uses
    before = cases.count_cases(fair_store)
    dialog.save()
    assert "characters a court or authority file number" in dialog.court_ref.error.text()
    assert cases.count_cases(fair_store) == before  # nothing saved
    dialog.court_ref.field.setText("4a O 12/26")
    dialog.save()
    assert cases.count_cases(fair_store) == before + 1
    detail = cases.get_case(fair_store, window.case_detail.case_id)
    assert sorted((p.role.value, p.name, p.organisation, p.reference) for p in detail.parties) == [
        ("bailiff", "Gerichtsvollzieher K. Weber", "", ""),
        ("complainant", "Dr. Erika Beispiel", "Beispiel Pumpen GmbH", ""),
        ("court", "Landgericht Düsseldorf", "", "4a O 12/26"),
    ]
    result = service.render_document(
        fair_store, detail.case.id, "non_infringement", "de", {}, allow_blanks=True, now=NOW
    )
    pdf = Path(str(tmp_path)) / "erklaerung.pdf"
    pdf.write_bytes(result.data)
    text = normalise(pdftotext(pdf))
    holder = next(line for line in text.splitlines() if "Schutzrechtsinhaber" in line)
    assert "Beispiel" in holder and "Weber" not in holder and "Landgericht" not in holder
    # The applicant is the other side (its own table), never one of our exporters.
    risk = riskmaps.enterprises(fair_store)
    names = " ".join(row.label_en for row in risk.counterparties)
    assert "Beispiel Pumpen" in names
    assert "Beispiel" not in " ".join(row.label_en for row in risk.rows)
    assert "Landgericht" not in names and "Weber" not in names


def test_copy_spotted_hides_who_served_and_the_court(qtbot: QtBot, fair_store: Store) -> None:
    window = _window(qtbot, fair_store)
    dialog = _open_dialog(qtbot, window)
    dialog.trigger.set_value(Trigger.COPY_SPOTTED)
    assert not dialog.served_by.isVisible() and not dialog.court.isVisible()
    dialog.party_name.field.setText("Copier Ltd.")
    dialog.court.field.setText("should not be saved")
    dialog.save()
    detail = cases.get_case(fair_store, window.case_detail.case_id)
    assert [(p.role, p.name) for p in detail.parties] == [(PartyRole.RESPONDENT, "Copier Ltd.")]


def test_switching_to_by_us_shrinks_the_dialog_instead_of_leaving_blank_bands(
    qtbot: QtBot, fair_store: Store
) -> None:
    """The served-by and court rows hide for a case by us; the dialog follows their height
    (before: the freed height stretched the other rows into blank bands around the deadline)."""
    window = _window(qtbot, fair_store)
    dialog = _open_dialog(qtbot, window)
    dialog.trigger.set_value(Trigger.COURT_ORDER)
    qtbot.waitExposed(dialog)
    tall = dialog.height()
    dialog.direction.set_value(Direction.BY_US)
    assert not dialog.court.isVisible()
    qtbot.waitUntil(lambda: dialog.height() < tall)
    assert dialog.height() <= dialog.sizeHint().height()
    # No blank band where the hidden rows were: the deadline row follows the time of service.
    from PySide6.QtCore import QPoint

    served_bottom = dialog.served_at.mapTo(dialog, QPoint(0, dialog.served_at.height())).y()
    deadline_top = dialog.deadline_when.mapTo(dialog, QPoint(0, 0)).y()
    assert deadline_top - served_bottom < 20
    dialog.direction.set_value(Direction.AGAINST_US)
    assert dialog.court.isVisible()
    qtbot.waitUntil(lambda: dialog.height() >= tall)
