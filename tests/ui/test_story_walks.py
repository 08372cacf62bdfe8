"""The other booth stories of issue 12, walked through New emergency on a fresh install: an
Abmahnung at IFA Berlin, a US CBP detention at CES, a Canton Fair complaint where we are the
complainant and one where we are the respondent. Each checks what a lawyer there would check:
the situation line, the first card, the proposed deadlines with their anchors and the
documents offered (never a right-holder form to a respondent, never a protective letter once
an order is served, no ITC or warning-letter deadline for a customs detention).

``FAIRDESK_STORY_SHOTS=<folder>`` saves each case page and its guidance as PNG.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.documents import service
from fairdesk.i18n import _, set_language
from fairdesk.knowledge.guidance import guidance_for_case
from fairdesk.model import Direction, PartyRole, Trigger
from fairdesk.store import Store
from tests.ui.conftest import NOW
from tests.ui.test_story_hannover import _shot, _type, _window
from ui.knowledge.guidance_panel import GuidancePanel
from ui.pages.new_emergency import NewEmergencyDialog


@dataclass(frozen=True)
class Story:
    name: str
    fair: str
    trigger: Trigger
    direction: Direction
    party: str
    served_by: str
    situation: str
    line_en: str
    first_card: str
    deadlines: tuple[tuple[str, str], ...]  # (spec id, what it counts from)
    documents: frozenset[str]  # at least these are offered


STORIES = [
    Story(
        "abmahnung-ifa",
        "IFA",
        Trigger.WARNING_LETTER,
        Direction.AGAINST_US,
        "Beispiel Audio GmbH",
        "RA Dr. M. Müller",
        "respondent/warning_letter/DE",
        "Warning letter received, Germany — you are the respondent",
        "de.warning-letter",
        (("de-warning-same-day", "in_letter"),),
        frozenset(
            {
                "abmahnung_reply",
                "protective_letter_germany",
                "power_of_attorney",
                "phrase_card_de",
                "evidence_report",
                "hq_notification",
            }
        ),
    ),
    Story(
        "cbp-ces",
        "CES",
        Trigger.CUSTOMS_ACTION,
        Direction.AGAINST_US,
        "",
        "CBP Officer J. Smith",
        "respondent/customs_detention_of_our_goods/US",
        "Customs detained our goods, United States — you are the respondent",
        "us.cbp",
        (("us-cbp-30-days", "presentation"),),
        frozenset({"us_cbp_response", "power_of_attorney", "phrase_card_us", "evidence_report"}),
    ),
    Story(
        "canton-complainant",
        "Canton Fair",
        Trigger.COMPLAINT,
        Direction.BY_US,
        "Copier Trading Co.",
        "",
        "complainant/our_desk_complaint/CN",
        "Our complaint at the fair's IP desk, China — you are the complainant",
        "cn.canton-complaint",
        (),
        frozenset({"desk_complaint", "evidence_record", "power_of_attorney", "evidence_report"}),
    ),
    Story(
        "canton-respondent",
        "Canton Fair",
        Trigger.COMPLAINT,
        Direction.AGAINST_US,
        "Rival Appliances Co.",
        "Complaint station officer",
        "respondent/desk_complaint_against_us/CN",
        "Complaint against us at the fair's IP desk, China — you are the respondent",
        "cn.canton-complaint",
        (("cn-canton-24h", "service"),),
        frozenset(
            {
                "panel_response",
                "withdrawal_undertaking",
                "power_of_attorney",
                "evidence_report",
            }
        ),
    ),
]


@pytest.fixture(autouse=True)
def _back_to_english() -> Iterator[None]:
    yield
    set_language("en")


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("story", STORIES, ids=[s.name for s in STORIES])
def test_booth_story_gets_the_situation_deadlines_and_documents_that_fit(
    qtbot: QtBot, store: Store, story: Story, lang: str
) -> None:
    set_language(lang)

    window = _window(qtbot, store)
    dialog = window.new_emergency()
    assert isinstance(dialog, NewEmergencyDialog)
    dialog.fair.setCurrentIndex(dialog.fair.findData(cases.find_fair(store, story.fair).id))
    dialog.trigger.set_value(story.trigger)
    dialog.direction.set_value(story.direction)
    if story.party:
        _type(qtbot, dialog.party_name.field, story.party)
    if story.served_by:
        assert dialog.served_by.isVisible()
        _type(qtbot, dialog.served_by.field, story.served_by)
    dialog.deadline_when.set_rule(None)  # the proposals below are what is checked
    _shot(dialog, f"walk-{story.name}-{lang}-dialog")
    dialog.save()
    qtbot.waitUntil(lambda: window.current_key() == "case")
    case_id = window.case_detail.case_id
    detail = cases.get_case(store, case_id)
    assert detail.situation is not None
    assert detail.situation.situation.key() == story.situation
    if lang == "en":
        assert window.case_detail.situation_line.text() == story.line_en
    else:  # Chinese, with no English left in it
        assert window.case_detail.situation_line.text().isascii() is False
        assert "you are" not in window.case_detail.situation_line.text()
    roles = {p.role for p in detail.parties}
    if story.served_by:  # who handed it over is never the complainant
        assert [p.role for p in detail.parties if p.name == story.served_by] != [
            PartyRole.COMPLAINANT
        ]
    if story.direction is Direction.BY_US and story.party:
        assert roles == {PartyRole.RESPONDENT}

    g = guidance_for_case(store, case_id, now=NOW)
    assert g.covered and g.cards[0].id == story.first_card
    assert tuple((p.spec_id, p.anchor) for p in g.deadlines) == story.deadlines
    assert story.documents <= set(g.documents)
    if story.direction is Direction.AGAINST_US:
        assert "customs_request" not in g.documents  # a right-holder form
        assert "desk_complaint" not in g.documents
    else:
        assert not {"panel_response", "non_infringement", "us_cbp_response"} & set(g.documents)
    if story.trigger is not Trigger.WARNING_LETTER:  # no pre-emptive letter once acted on
        assert not {d for d in g.documents if d.startswith("protective_letter")}
    if story.name == "abmahnung-ifa":  # no right recorded: no sign of a European patent
        assert "protective_letter_upc" not in g.documents
        why = service.why_not(store, case_id, "protective_letter_upc")
        assert why is not None and (lang != "en" or "Rights tab" in why)
    for proposal in g.deadlines:
        assert proposal.sources, proposal.spec_id  # every deadline says where it comes from

    tabs = window.case_detail.tabs
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == _("Guidance"))
    tabs.setCurrentIndex(index)
    panel = tabs.widget(index).ensure()  # type: ignore[union-attr]
    assert isinstance(panel, GuidancePanel)
    qtbot.waitUntil(lambda: getattr(panel, "guidance", None) is not None and panel.isVisible())
    QApplication.processEvents()
    _shot(window, f"walk-{story.name}-{lang}-guidance")
    first_hour = panel.next_hour.toPlainText()
    if story.name == "cbp-ces":  # a detention is not an ITC complaint nor a TRO
        assert "ITC" not in first_hour and "TRO" not in first_hour
        assert "CBP" in first_hour and "12308" in first_hour
    if story.name == "abmahnung-ifa":  # a letter, no order yet: the ZSSR is the next step
        assert "ZSSR" in first_hour and "Widerspruch" not in first_hour
    assert panel.checklist.isHidden()  # pre-fair lists are for watch items
