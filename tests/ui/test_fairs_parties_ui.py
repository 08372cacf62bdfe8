"""Clicking through fairs, a case's fair, parties and rights as a user does (pytest-qt,
offscreen, synchronous tasks); each step is checked on the screen and in the store."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fairdesk import cases, fairs
from fairdesk.cases import CaseFilter
from fairdesk.model import PartyRole, RightKind
from fairdesk.store import Store
from ui.main_window import MainWindow
from ui.pages.case_detail import CaseDetailPage
from ui.pages.fairs_dialog import FairsDialog

INJUNCTION = "Injunction: hydraulic pump"


def _case_id(store: Store, title: str = INJUNCTION) -> str:
    return next(r.id for r in cases.list_cases(store, CaseFilter()) if r.title == title)


def _page(qtbot: QtBot, store: Store) -> CaseDetailPage:
    page = CaseDetailPage(store)
    qtbot.addWidget(page)
    page.show()
    page.show_case(_case_id(store))
    return page


def _fairs_dialog(qtbot: QtBot, store: Store) -> FairsDialog:
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    window.fairs_action.trigger()  # File ▸ Fairs…
    dialog = window.findChild(FairsDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def _row_of(dialog: FairsDialog, name: str) -> int:
    for row in range(dialog.proxy.rowCount()):
        if dialog.proxy.index(row, 0).data() == name:
            return row
    raise AssertionError(name)


def test_add_a_fair_in_the_dialog_with_bad_input_first(qtbot: QtBot, fair_store: Store) -> None:
    dialog = _fairs_dialog(qtbot, fair_store)
    assert dialog.proxy.rowCount() >= 40  # the catalogue is there, offline
    before = len(fairs.list_fairs(fair_store))
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    # The dialog's own focus child: the application's focus may still sit in a window an
    # earlier test left open (offscreen has no window manager to move activation).
    assert dialog.focusWidget() is dialog.fields["name"]
    qtbot.keyClicks(dialog.fields["name"], "Example Expo")
    qtbot.keyClicks(dialog.fields["country"], "JP")
    qtbot.keyClicks(dialog.fields["city"], "Tokyo")
    dialog.time_zone.setCurrentText("Asia/Atlantis")
    qtbot.keyClick(dialog.fields["name"], Qt.Key.Key_Return)  # Enter saves
    assert dialog.error.text() == "Unknown time zone: Asia/Atlantis"
    dialog.time_zone.setCurrentText("Asia/Tokyo")
    qtbot.keyClicks(dialog.fields["starts_on"], "2027-05-10")
    qtbot.keyClicks(dialog.fields["ends_on"], "2027-05-08")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "cannot end (2027-05-08) before it starts (2027-05-10)" in dialog.error.text()
    dialog.fields["name"].setText("CES")
    dialog.fields["ends_on"].setText("2027-05-12")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "already a fair called CES" in dialog.error.text()
    assert len(fairs.list_fairs(fair_store)) == before  # nothing saved by the three tries
    dialog.fields["name"].setText("Example Expo")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "" and dialog.saved.text() == "Saved."
    added = fairs.find_fair(fair_store, "Example Expo")
    assert (added.time_zone, added.country, added.starts_on) == (
        "Asia/Tokyo",
        "JP",
        date(2027, 5, 10),
    )
    assert dialog.selected_fair() == added


def test_edit_this_years_dates_of_a_catalogue_fair(qtbot: QtBot, fair_store: Store) -> None:
    dialog = _fairs_dialog(qtbot, fair_store)
    qtbot.keyClicks(dialog.filter, "IFA")
    dialog.view.selectRow(_row_of(dialog, "IFA Berlin"))
    assert dialog.fields["name_zh"].text() == "柏林国际消费电子展"
    assert "catalogue" in dialog.source_note.text()
    dialog.fields["starts_on"].setText("2027-09-03")
    dialog.fields["ends_on"].setText("2027-09-07")
    dialog.fields["closing_time"].setText("18:00")
    qtbot.keyClick(dialog.fields["closing_time"], Qt.Key.Key_Return)
    ifa = fairs.find_fair(fair_store, "IFA Berlin")
    assert (ifa.starts_on, ifa.ends_on, ifa.closing_time) == (
        date(2027, 9, 3),
        date(2027, 9, 7),
        "18:00",
    )


def test_change_the_case_fair_keeps_every_instant(qtbot: QtBot, fair_store: Store) -> None:
    page = _page(qtbot, fair_store)
    before = cases.get_case(fair_store, page.case_id)
    assert page.edit_fair.currentText().startswith("Hannover Messe")
    ces = fairs.find_fair(fair_store, "CES")
    page.edit_fair.setCurrentIndex(page.edit_fair.findData(ces.id))
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    after = cases.get_case(fair_store, page.case_id)
    assert after.fair is not None and after.fair.id == ces.id
    assert [d.due_at for d in after.deadlines] == [d.due_at for d in before.deadlines]
    assert after.served_at == before.served_at
    # The deadline is now shown in Las Vegas time; the header names the new fair and zone.
    fair_time = page.deadlines_model.data(page.deadlines_model.index(0, 2))
    assert fair_time.endswith(("PST", "PDT")), fair_time
    assert "CES (Las Vegas, America/Los_Angeles)" in page.facts.text()


def test_add_edit_remove_a_party_by_keyboard_and_mouse(qtbot: QtBot, fair_store: Store) -> None:
    page = _page(qtbot, fair_store)
    page.tabs.setCurrentWidget(page.parties_editor)
    editor = page.parties_editor
    editor.role.set_value(PartyRole.COURT)
    editor.name.setText("Landgericht Düsseldorf")  # QTest types ASCII only
    qtbot.keyClicks(editor.reference, "4a O 12/26; x")
    qtbot.keyClick(editor.reference, Qt.Key.Key_Return)  # Enter adds (nothing selected)
    assert "characters a court or authority file number" in editor.error.text()
    assert len(cases.get_case(fair_store, page.case_id).parties) == 1  # nothing saved
    editor.reference.setText("4a O 12/26")
    qtbot.keyClick(editor.reference, Qt.Key.Key_Return)
    parties = cases.get_case(fair_store, page.case_id).parties
    court = next(p for p in parties if p.role is PartyRole.COURT)
    assert (court.name, court.reference) == ("Landgericht Düsseldorf", "4a O 12/26")
    assert editor.model.rowCount() == 2 and editor.name.text() == ""
    # A party without a name is refused with a sentence.
    editor.role.set_value(PartyRole.BAILIFF)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert editor.error.text() == (
        "Give a name for the bailiff / court officer (a person, company, court or office)."
    )
    # Select the court row, change its file number, save with the mouse.
    row = next(i for i in range(editor.model.rowCount()) if editor.model.row_at(i).id == court.id)
    editor.view.selectRow(row)
    assert editor.name.text() == "Landgericht Düsseldorf"
    editor.reference.setText("4a O 13/26")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    edited = next(p for p in cases.get_case(fair_store, page.case_id).parties if p.id == court.id)
    assert edited.reference == "4a O 13/26"
    # Delete on the table removes the selected party.
    row = next(i for i in range(editor.model.rowCount()) if editor.model.row_at(i).id == court.id)
    editor.view.selectRow(row)
    editor.view.setFocus()
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete)
    assert court.id not in {p.id for p in cases.get_case(fair_store, page.case_id).parties}
    assert editor.model.rowCount() == 1


def test_add_edit_remove_a_right_with_a_format_warning(qtbot: QtBot, fair_store: Store) -> None:
    page = _page(qtbot, fair_store)
    page.tabs.setCurrentWidget(page.rights_editor)
    editor = page.rights_editor
    editor.whose.setCurrentIndex(1)  # ours
    editor.kind.set_value(RightKind.UTILITY_MODEL)
    qtbot.keyClicks(editor.number, "12345")
    qtbot.keyClicks(editor.office, "DE")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    rights = cases.get_case(fair_store, page.case_id).rights
    ours = next(r for r in rights if r.number == "12345")
    assert ours.asserted_by_us and ours.kind is RightKind.UTILITY_MODEL
    assert "does not look like a DE number" in editor.warning.text()  # saved, with a warning
    theirs = next(r for r in rights if r.number == "EP 3 000 001")
    row = next(i for i in range(editor.model.rowCount()) if editor.model.row_at(i).id == theirs.id)
    editor.view.selectRow(row)
    assert editor.whose.currentData() is False
    editor.status.setText("granted")
    qtbot.keyClick(editor.status, Qt.Key.Key_Return)  # Enter saves the selected row
    assert (
        next(
            r for r in cases.get_case(fair_store, page.case_id).rights if r.id == theirs.id
        ).right_status
        == "granted"
    )
    row = next(i for i in range(editor.model.rowCount()) if editor.model.row_at(i).id == ours.id)
    editor.view.selectRow(row)
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    assert [r.number for r in cases.get_case(fair_store, page.case_id).rights] == ["EP 3 000 001"]


def test_parties_form_is_reached_by_tab_from_the_table(qtbot: QtBot, fair_store: Store) -> None:
    page = _page(qtbot, fair_store)
    page.activateWindow()
    handle = page.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    page.tabs.setCurrentWidget(page.parties_editor)
    editor = page.parties_editor
    editor.view.setFocus()
    order = []
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == [
        editor.role,
        editor.name,
        editor.organisation,
        editor.reference,
        editor.contact,
        editor.add_button,
    ]
    editor.role.set_value(PartyRole.NOTARY)
    editor.name.setFocus()
    qtbot.keyClicks(editor.name, "Notar Beispiel")
    qtbot.keyClick(editor.name, Qt.Key.Key_Return)
    assert (PartyRole.NOTARY, "Notar Beispiel") in {
        (p.role, p.name) for p in cases.get_case(fair_store, page.case_id).parties
    }
