"""Case page: header with level and rule, add note and deadline, mark done, override the
level (refused without a reason), edit fields, the feature tabs (the real Evidence and
Documents panels, built when first opened; a broken one says so in its tab); checks both the
screen and the store."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.cases import CaseFilter
from fairdesk.evidence import service as evidence_service
from fairdesk.model import DeadlineRule, Level, Status
from fairdesk.store import Store
from tests.fairdesk.evidence.helpers import photo
from tests.ui.conftest import NOW
from ui.documents.panel import DocumentsPanel
from ui.evidence.panel import EvidencePanel
from ui.lazy import LazyWidget
from ui.pages.case_detail import CaseDetailPage
from ui.widgets.deadline_editor import to_qdatetime


def _open(qtbot: QtBot, store: Store, title: str) -> CaseDetailPage:
    case_id = next(r.id for r in cases.list_cases(store, CaseFilter()) if r.title == title)
    page = CaseDetailPage(store)
    qtbot.addWidget(page)
    page.show()
    page.show_case(case_id)
    return page


def _tab_titles(page: CaseDetailPage) -> list[str]:
    return [page.tabs.tabText(i) for i in range(page.tabs.count())]


def test_header_shows_level_rule_and_place(qtbot: QtBot, fair_store: Store) -> None:
    page = _open(qtbot, fair_store, "Injunction: hydraulic pump")
    assert page.title.text() == "Injunction: hydraulic pump"
    assert page.badge.text.text() == "Red"  # the level is written, not only coloured
    assert "Court order, seizure or customs action" in page.level_rule.text()
    assert "Hall 6 Booth B21" in page.facts.text()
    assert "Hannover Messe" in page.facts.text()
    assert page.next_due.text() == "in 2h 00m"
    assert page.parties_model.rowCount() == 1
    assert page.rights_model.data(page.rights_model.index(0, 1)) == "EP 3 000 001"
    assert _tab_titles(page) == [
        *("Details", "Parties", "Rights", "Deadlines", "Notes", "Timeline"),
        *("Guidance", "Evidence", "Documents", "Conflicts"),
    ]


def test_add_note_appends_and_stores(qtbot: QtBot, fair_store: Store) -> None:
    page = _open(qtbot, fair_store, "Injunction: hydraulic pump")
    page.tabs.setCurrentIndex(_tab_titles(page).index("Notes"))
    page.new_note.setFocus()
    qtbot.keyClicks(page.new_note, "Bailiff left at 10:40")
    qtbot.mouseClick(page.add_note_button, Qt.MouseButton.LeftButton)
    detail = cases.get_case(fair_store, page.case_id)
    assert [n.text for n in detail.notes] == ["Bailiff left at 10:40"]
    assert "Bailiff left at 10:40" in page.notes_text.toPlainText()
    assert page.new_note.toPlainText() == ""
    # An empty note is refused with the core's words; nothing is stored.
    qtbot.mouseClick(page.add_note_button, Qt.MouseButton.LeftButton)
    assert page.note_error.text() == "Note is required."
    assert len(cases.get_case(fair_store, page.case_id).notes) == 1


def test_add_deadline_and_mark_done(qtbot: QtBot, fair_store: Store) -> None:
    page = _open(qtbot, fair_store, "Warning letter: work lamp")
    page.tabs.setCurrentIndex(_tab_titles(page).index("Deadlines"))
    page.new_deadline_when.set_rule(DeadlineRule.FIXED)
    due_local = (NOW + timedelta(hours=5)).astimezone(ZoneInfo("Europe/Berlin"))
    page.new_deadline_when.fixed.setDateTime(to_qdatetime(due_local))
    qtbot.keyClicks(page.new_deadline_what, "Call German counsel")
    qtbot.keyClick(page.new_deadline_what, Qt.Key.Key_Return)
    detail = cases.get_case(fair_store, page.case_id)
    added = next(d for d in detail.deadlines if d.what == "Call German counsel")
    assert added.due_at == (NOW + timedelta(hours=5)).replace(second=0)
    assert detail.case.level is Level.RED  # due within 24 h: rule R2
    assert page.badge.text.text() == "Red"
    assert page.deadlines_model.rowCount() == 2
    # Select it and mark it done.
    row = next(i for i in range(2) if page.deadlines_model.row_at(i).id == added.id)
    page.deadlines_view.selectRow(row)
    assert page.done_button.text() == "Mark selected as done"
    qtbot.mouseClick(page.done_button, Qt.MouseButton.LeftButton)
    detail = cases.get_case(fair_store, page.case_id)
    assert next(d for d in detail.deadlines if d.id == added.id).done
    assert detail.case.level is Level.YELLOW
    assert page.deadlines_model.data(page.deadlines_model.index(row, 1)) == "Done"
    page.deadlines_view.clearSelection()
    page.deadlines_view.selectRow(row)
    assert page.done_button.text() == "Reopen selected"


def test_past_deadline_is_refused(qtbot: QtBot, fair_store: Store) -> None:
    page = _open(qtbot, fair_store, "Warning letter: work lamp")
    page.tabs.setCurrentIndex(_tab_titles(page).index("Deadlines"))
    page.new_deadline_when.set_rule(DeadlineRule.FIXED)
    page.new_deadline_when.fixed.setDateTime(to_qdatetime(NOW - timedelta(days=2)))
    qtbot.keyClicks(page.new_deadline_what, "Too late")
    qtbot.mouseClick(page.add_deadline_button, Qt.MouseButton.LeftButton)
    assert "already in the past" in page.deadline_error.text()
    assert page.deadline_error.isVisible()
    assert len(cases.get_case(fair_store, page.case_id).deadlines) == 1


def test_override_needs_a_reason(qtbot: QtBot, fair_store: Store) -> None:
    from ui.pages.override_dialog import OverrideLevelDialog

    page = _open(qtbot, fair_store, "Warning letter: work lamp")
    qtbot.mouseClick(page.override_button, Qt.MouseButton.LeftButton)
    dialog = page.findChild(OverrideLevelDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.level.set_value(Level.RED)
    dialog.save()  # no reason given
    assert dialog.error.text() == "Changing the warning level by hand needs a reason."
    assert dialog.isVisible()
    assert cases.get_case(fair_store, page.case_id).case.level is Level.YELLOW
    qtbot.keyClicks(dialog.reason, "HQ treats every letter from this firm as red")
    dialog.save()
    assert not dialog.isVisible()
    detail = cases.get_case(fair_store, page.case_id)
    assert detail.case.level is Level.RED and detail.level_override is Level.RED
    assert detail.timeline[-1].reason == "HQ treats every letter from this firm as red"
    assert page.badge.text.text() == "Red"
    assert "HQ treats every letter" in page.level_rule.text()


def test_edit_fields_validates_and_saves(qtbot: QtBot, fair_store: Store) -> None:
    page = _open(qtbot, fair_store, "Warning letter: work lamp")
    title = page.edit_title.field
    title.setText("x" * 10_000)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.overview_error.text() == "Title is too long (10000 characters; at most 300)."
    assert cases.get_case(fair_store, page.case_id).case.title == "Warning letter: work lamp"
    title.setText("Bad\x07title")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert "control characters" in page.overview_error.text()
    title.setText("Warning letter: LED work lamp WL-9")
    page.edit_status.set_value(Status.RESPONDING)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.overview_error.text() == "" and page.overview_saved.text() == "Saved."
    detail = cases.get_case(fair_store, page.case_id)
    assert detail.case.title == "Warning letter: LED work lamp WL-9"
    assert detail.case.status is Status.RESPONDING
    assert page.title.text() == "Warning letter: LED work lamp WL-9"


def test_evidence_and_documents_tabs_are_the_real_panels(
    qtbot: QtBot, fair_store: Store, tmp_path: Path
) -> None:
    case_id = next(
        r.id
        for r in cases.list_cases(fair_store, CaseFilter())
        if r.title == "Injunction: hydraulic pump"
    )
    photos = [photo(tmp_path / f"IMG_{i}.JPG", (320, 240), seed=i) for i in range(2)]
    evidence_service.import_files(fair_store, case_id, photos)
    page = _open(qtbot, fair_store, "Injunction: hydraulic pump")
    titles = _tab_titles(page)
    evidence_tab = page.tabs.widget(titles.index("Evidence"))
    documents_tab = page.tabs.widget(titles.index("Documents"))
    # Built the first time the user opens them, not with the page.
    assert isinstance(evidence_tab, LazyWidget) and not evidence_tab.built
    assert isinstance(documents_tab, LazyWidget) and not documents_tab.built

    page.tabs.setCurrentIndex(titles.index("Evidence"))
    evidence = evidence_tab.content
    assert isinstance(evidence, EvidencePanel) and evidence.case_id == case_id
    qtbot.waitUntil(lambda: evidence.count_label.text() == "2 of 2 items")
    qtbot.waitUntil(evidence.import_files_button.isVisible)  # shown, not only built

    page.tabs.setCurrentIndex(titles.index("Documents"))
    documents = documents_tab.content
    assert isinstance(documents, DocumentsPanel) and documents.case_id == case_id
    qtbot.waitUntil(documents.new_button.isVisible)
    assert documents.table.rowCount() == 0  # none rendered yet for this case
    assert documents.new_button.isEnabled() and documents.new_button.text() == "New document…"


def test_a_broken_panel_says_so_in_its_tab_and_the_case_still_works(
    qtbot: QtBot, fair_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A damaged installation: the documents panel's module is missing.
    monkeypatch.setitem(sys.modules, "ui.documents.panel", None)

    def broken(store: Store, case_id: str) -> QLabel:
        raise RuntimeError("no camera driver")

    monkeypatch.setattr("ui.evidence.panel.EvidencePanel", broken)
    page = _open(qtbot, fair_store, "Injunction: hydraulic pump")
    titles = _tab_titles(page)
    page.tabs.setCurrentIndex(titles.index("Documents"))
    texts = [label.text() for label in page.tabs.currentWidget().findChildren(QLabel)]
    assert len(texts) == 1
    assert texts[0].startswith("This installation of FairDesk is incomplete (")
    assert texts[0].endswith("reinstall it. Your cases and evidence are not affected.")
    page.tabs.setCurrentIndex(titles.index("Evidence"))
    texts = [label.text() for label in page.tabs.currentWidget().findChildren(QLabel)]
    assert texts == [
        "This panel could not be shown: Something went wrong (RuntimeError); nothing already "
        "saved was lost. The details are in the log."
    ]
    page.tabs.setCurrentIndex(titles.index("Notes"))  # the rest of the case still works
    assert page.new_note.isEnabled()


def test_an_unexpected_failure_of_a_write_is_a_sentence_not_the_raw_error(
    qtbot: QtBot, fair_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _open(qtbot, fair_store, "Injunction: hydraulic pump")

    def broken(*_args: object) -> None:
        raise KeyError("internal_column_name")  # a bug, not a message for the user

    monkeypatch.setattr(cases, "add_note", broken)
    page.tabs.setCurrentIndex(_tab_titles(page).index("Notes"))
    qtbot.keyClicks(page.new_note, "Bailiff left at 10:40")
    qtbot.mouseClick(page.add_note_button, Qt.MouseButton.LeftButton)
    assert page.note_error.text() == (
        "Something went wrong (KeyError); nothing already saved was lost. The details are in "
        "the log."
    )
    assert page.new_note.toPlainText() == "Bailiff left at 10:40"  # what was typed is kept
