"""Issue 12's "Done when", walked as a responder does on a fresh install (no demo data).

Ctrl+N → an ex-parte injunction served at Hannover Messe: the fair picked from the shipped
catalogue, the applicant named on the papers, the bailiff who served it, Landgericht
Düsseldorf with its Aktenzeichen, our exhibit, the deadline; Enter saves. The case page then
states the situation, proposes only the objection path (no holder's § 929(2) deadline counted
from our service, no protective letter, no right-holder form) and the German declaration names
the applicant as Schutzrechtsinhaber. The sync half (a second laptop and an HQ-role device
through a real ``fairdesk-hq``) is ``tests/sync/client/test_story_hannover_sync.py``.

Set ``FAIRDESK_STORY_SHOTS=<folder>`` to save every step as PNG (en and zh_CN) for review.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.cases import CaseFilter
from fairdesk.i18n import _, set_language
from fairdesk.knowledge.guidance import guidance_for_case
from fairdesk.model import DeadlineRule, Direction, Level, PartyRole, RightKind, Trigger
from fairdesk.store import Store
from tests.ui.conftest import NOW
from ui.knowledge.guidance_panel import GuidancePanel
from ui.main_window import MainWindow
from ui.pages.new_emergency import NewEmergencyDialog

APPLICANT = "Beispiel Pumpen GmbH"
BAILIFF = "Gerichtsvollzieher K. Weber"
COURT = "Landgericht Düsseldorf"
FILE_NUMBER = "4a O 123/26"


@pytest.fixture(autouse=True)
def _back_to_english() -> Iterator[None]:
    yield
    set_language("en")


def _shot(widget: QWidget, name: str) -> None:
    folder = os.environ.get("FAIRDESK_STORY_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


def _type(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type as a user does: keys for ASCII, an input method's commit for ü, 中文…"""
    widget.setFocus()
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:  # QTest cannot type non-ASCII keys
        event = QInputMethodEvent()
        event.setCommitString(text)
        QApplication.sendEvent(widget, event)


def _window(qtbot: QtBot, store: Store) -> MainWindow:

    window = MainWindow(store)
    qtbot.addWidget(window)
    window.resize(1280, 860)
    window.show()
    window.activateWindow()
    handle = window.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.today.view.setFocus()
    return window


def record_hannover_injunction(qtbot: QtBot, window: MainWindow, lang: str) -> str:
    """The responder's keystrokes for the Hannover Messe story; returns the new case's id."""
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(NewEmergencyDialog)
    assert dialog is not None and dialog.isVisible()
    _shot(dialog, f"{lang}-01-new-emergency-empty")
    # A fresh install: the catalogue's fairs are there, Hannover Messe among them.
    index = dialog.fair.findData(cases.find_fair(window.store, "Hannover Messe").id)
    assert index > 0
    dialog.fair.setFocus()
    dialog.fair.setCurrentIndex(index)
    assert dialog.fair_zone() == "Europe/Berlin"
    dialog.trigger.setFocus()
    dialog.trigger.set_value(Trigger.COURT_ORDER)
    assert dialog.direction.value() is Direction.AGAINST_US
    assert dialog.served_by_role.value() is PartyRole.BAILIFF
    # A Gerichtsvollzieher is a 执达员 (as the rules table says), not 法警 (court police).
    assert dialog.served_by_role.currentText() == {
        "en": "Bailiff / court officer",
        "zh_CN": "执达员 / 法院执行人员",
    }.get(lang, dialog.served_by_role.currentText())
    _type(qtbot, dialog.party_name.field, "Dr. Erika Beispiel")
    _type(qtbot, dialog.party_org.field, APPLICANT)
    dialog.right_kind.setFocus()
    dialog.right_kind.set_value(RightKind.INVENTION_PATENT)
    assert dialog.right_kind.value() is RightKind.INVENTION_PATENT
    _type(qtbot, dialog.right_number.field, "EP 3 000 001")
    _type(qtbot, dialog.right_office.field, "EP")
    _type(qtbot, dialog.hall.field, "6")
    _type(qtbot, dialog.booth.field, "B21")
    _type(qtbot, dialog.served_by.field, BAILIFF)
    _type(qtbot, dialog.court.field, COURT)
    _type(qtbot, dialog.court_ref.field, FILE_NUMBER)
    dialog.deadline_when.set_rule(DeadlineRule.HOURS_FROM_SERVICE)
    _type(qtbot, dialog.deadline_what.field, "Remove the pump HX-200 from the booth")
    _type(qtbot, dialog.note.field, "Exhibit: hydraulic pump HX-200")
    _shot(dialog, f"{lang}-02-new-emergency-filled")
    qtbot.keyClick(dialog.note.field, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: window.current_key() == "case")
    assert not dialog.isVisible()
    return window.case_detail.case_id


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_hannover_injunction_story_on_a_fresh_install(
    qtbot: QtBot, store: Store, lang: str, tmp_path: Path
) -> None:
    set_language(lang)
    assert cases.count_cases(store) == 0  # fresh: no demo
    window = _window(qtbot, store)
    case_id = record_hannover_injunction(qtbot, window, lang)

    detail = cases.get_case(store, case_id)
    assert detail.case.trigger is Trigger.COURT_ORDER
    assert sorted((p.role, p.name, p.organisation, p.reference) for p in detail.parties) == sorted(
        [
            (PartyRole.COMPLAINANT, "Dr. Erika Beispiel", APPLICANT, ""),
            (PartyRole.BAILIFF, BAILIFF, "", ""),
            (PartyRole.COURT, COURT, "", FILE_NUMBER),
        ]
    )
    assert [(r.kind, r.number, r.office) for r in detail.rights] == [
        (RightKind.INVENTION_PATENT, "EP 3 000 001", "EP")
    ]
    assert detail.case.fair_time_zone == "Europe/Berlin"
    assert (detail.hall, detail.booth) == ("6", "B21")
    assert detail.situation is not None
    assert detail.situation.situation.key() == "respondent/ex_parte_order_served/DE"

    page = window.case_detail
    expected_line = {
        "en": "Served: ex-parte court order, Germany — you are the respondent",
        "zh_CN": "已送达：单方法院禁令，德国——您是被申请人/被投诉方",
    }[lang]
    assert page.situation_line.text() == expected_line
    _shot(window, f"{lang}-03-case-overview")

    # Guidance: the objection path; nothing a respondent to a served order cannot use.
    g = guidance_for_case(store, case_id, now=NOW)
    assert g.situation is not None and g.covered
    assert [c.id for c in g.cards][:1] == ["de.widerspruch"]
    assert "protective_letter" not in g.documents
    assert "customs_request" not in g.documents  # a right-holder form
    assert "warning_letter" not in g.documents
    assert "protective_letter_germany" not in g.documents
    assert "protective_letter_upc" not in g.documents
    assert "abmahnung_reply" not in g.documents  # the order is served: past the letter stage
    # What a German lawyer reaches for, and nothing else.
    assert set(g.documents) == {
        "widerspruch",
        "non_infringement",
        "power_of_attorney",
        "phrase_card_de",
        "evidence_report",
        "hq_notification",
    }
    for proposal in g.deadlines:
        # The holder's § 929(2) month is never counted from service on us.
        assert proposal.anchor != "service" or proposal.party != "holder", proposal
        if proposal.party == "holder":
            assert proposal.due_at is None and proposal.input is None
    assert not any("protective" in d.spec_id for d in g.deadlines)

    tabs = page.tabs
    guidance_tab = next(i for i in range(tabs.count()) if tabs.tabText(i) == _("Guidance"))
    tabs.setCurrentIndex(guidance_tab)
    panel = tabs.widget(guidance_tab).ensure()  # type: ignore[union-attr]
    assert isinstance(panel, GuidancePanel)
    qtbot.waitUntil(lambda: getattr(panel, "guidance", None) is not None and panel.isVisible())
    assert expected_line in panel.message.text()
    # Every document offered has a readable title (a kind without a short label once made
    # the whole panel fail with a KeyError); none is a protective letter.
    assert not panel.error.isVisible()
    objection = {"en": "Objection (Widerspruch)", "zh_CN": "对临时禁令的异议"}[lang]
    attorney = {"en": "Power of Attorney", "zh_CN": "授权委托书"}[lang]
    assert objection in panel.documents.text() and attorney in panel.documents.text()
    assert "widerspruch" not in panel.documents.text()  # a title, not the kind's key
    card = {"en": "Phrase Card for Booth Staff", "zh_CN": "展位人员应对短语卡"}[lang]
    assert card in panel.documents.text() and "Sprachkarte" not in panel.documents.text()
    # The order is served: no protective letter in the next hour, no pre-fair checklist, and
    # no "at least yellow" hint on a red case; the phone numbers stay.
    first_hour = panel.next_hour.toPlainText()
    assert "ZSSR" not in first_hour and "Widerspruch" in first_hour
    assert "+49 30 275880" in first_hour and "12308" in first_hour
    assert panel.checklist.isHidden() and panel.checklist_title.isHidden()
    assert panel.hint.isHidden()
    _shot(window, f"{lang}-04-case-guidance")
    bar = panel.verticalScrollBar()
    bar.setValue(bar.maximum())  # proposed deadlines and documents, as the user scrolls
    _shot(window, f"{lang}-04b-case-guidance-end")
    for index in range(1, 4):  # Parties, Rights, Deadlines as the user sees them
        tabs.setCurrentIndex(index)
        _shot(window, f"{lang}-06-tab-{index}")
    tabs.setCurrentIndex(0)
    _shot(window, f"{lang}-05-case-page")

    # The German declaration names the applicant as Schutzrechtsinhaber.
    from fairdesk.documents import service
    from tests.fairdesk.documents.conftest import normalise, pdftotext

    result = service.render_document(
        store, case_id, "non_infringement", "de", {}, allow_blanks=True, now=NOW
    )
    pdf = tmp_path / "erklaerung.pdf"
    pdf.write_bytes(result.data)
    text = normalise(pdftotext(pdf))
    holder = next(line for line in text.splitlines() if "Schutzrechtsinhaber" in line)
    assert "Beispiel" in holder
    assert "Weber" not in holder and "Landgericht" not in holder

    # The level: a court order served on us is red (R1), the same on every device.
    assert (detail.case.level, detail.level_rule) == (Level.RED, "R1")
    assert [r.title for r in cases.list_cases(store, CaseFilter())] == [detail.case.title]


def test_second_laptop_and_hq_lawyer_show_the_same_level_and_rule(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The story recorded in the window on one laptop; after sync through a real
    ``fairdesk-hq`` a second laptop and an HQ-role (legal) device show the same level, rule,
    situation and parties on their own case pages."""
    from tests.sync.devices import make_node
    from tests.sync.hq_harness import live_hq

    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq") as hq:
        hq.add_tenant("Acme Tools")
        laptop = make_node(hq, tmp_path, "laptop", "Acme Tools")
        second = make_node(hq, tmp_path, "second", "Acme Tools")
        lawyer = make_node(hq, tmp_path, "lawyer", "Acme Tools", role="legal")
        try:
            window = _window(qtbot, laptop.store)
            case_id = record_hannover_injunction(qtbot, window, "sync")
            made = cases.get_case(laptop.store, case_id)
            shown = (
                window.case_detail.badge.text.text(),
                window.case_detail.level_rule.text(),
                window.case_detail.situation_line.text(),
            )
            assert laptop.sync().drained
            for node in (second, lawyer):
                assert node.sync().drained, node.name
                seen = cases.get_case(node.store, case_id)
                assert (seen.case.level, seen.level_rule) == (made.case.level, made.level_rule)
                assert (seen.case.level, seen.level_rule) == (Level.RED, "R1")
                assert seen.situation is not None
                assert seen.situation.situation.key() == "respondent/ex_parte_order_served/DE"
                assert sorted((p.role, p.name, p.reference) for p in seen.parties) == sorted(
                    (p.role, p.name, p.reference) for p in made.parties
                )
                other = _window(qtbot, node.store)
                other.open_case(case_id)
                qtbot.waitUntil(lambda w=other: w.case_detail.case_id == case_id)  # type: ignore[misc]
                page = other.case_detail
                assert (
                    page.badge.text.text(),
                    page.level_rule.text(),
                    page.situation_line.text(),
                ) == shown, node.name
                _shot(other, f"sync-{node.name}-case-page")
        finally:
            for node in (laptop, second, lawyer):
                node.close()
