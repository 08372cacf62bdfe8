"""The knowledge pages render, search, acknowledge, compute maps and add proposed deadlines."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from fairdesk import cases
from fairdesk.i18n import set_language
from fairdesk.knowledge import alerts
from fairdesk.model import Direction, OutboxEntry, Trigger
from fairdesk.store import Store
from ui import features

if TYPE_CHECKING:
    from ui.knowledge.guidance_panel import GuidancePanel


def test_pages_and_case_panel_are_listed() -> None:
    assert {"library", "riskmaps", "alerts"} <= {p.key for p in features.PAGES}
    assert "guidance" in {p.key for p in features.CASE_PANELS}


def test_library_search_in_chinese_and_gap_display(qtbot: QtBot, store: Store) -> None:
    from ui.knowledge.library_page import LibraryPage

    page = LibraryPage(store)
    qtbot.addWidget(page)
    assert page.library is not None and page.results.count() == len(page.library.entries)
    # QTest types ASCII only; an input method commits Chinese text as one insert.
    page.search_box.insert("禁令")
    ids = [page.results.item(i).data(Qt.ItemDataRole.UserRole) for i in range(page.results.count())]
    assert "de.injunction" in ids and "fr.saisie" not in ids
    page.search_box.clear()
    qtbot.keyClicks(page.search_box, "xylophone")
    assert page.results.count() == 0 and "Nothing found" in page.count_label.text()
    page.search_box.clear()
    page.country.setCurrentIndex(page.country.findData("IT"))
    page.show_entry("it.descrizione")
    html = page.view.toPlainText()
    assert "Gap: no verified information" in html and "As of 2026-12-04" in html
    assert "since 23 Aug 2023" in html and "[106]" in html  # the 2023 change, with its source
    assert "[32]" in html and "https://designwrites.law" in page.view.toHtml()


def test_alert_banner_and_acknowledge_button(qtbot: QtBot, store: Store) -> None:
    from ui.knowledge.alerts_page import AlertsPage

    alerts.fill_demo_alerts(store)
    page = AlertsPage(store)
    qtbot.addWidget(page)
    page.show()
    assert page.banner.isVisible() and "MWC" in page.banner.text.text()
    assert page.list.count() == 2
    qtbot.mouseClick(page.banner.button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.ack_button, Qt.MouseButton.LeftButton)  # the other one, now selected
    assert alerts.unacknowledged(store) == []
    assert not page.banner.isVisible()
    with store.read() as session:
        acks = list(
            session.scalars(select(OutboxEntry.entity_id).where(OutboxEntry.entity == "alert_ack"))
        )
    assert sorted(acks) == ["demo-alert-de-customs", "demo-alert-mwc-2027"]


def test_risk_maps_page_ranks_and_exports(
    qtbot: QtBot, demo_store: Store, tmp_path: Path, qtmodeltester: object
) -> None:
    from ui.knowledge.riskmaps_page import RiskMapsPage

    page = RiskMapsPage(demo_store)
    qtbot.addWidget(page)
    destinations = page.views["destinations"]
    model = destinations.model
    assert model.data(model.index(0, 1)) == "Germany" and model.data(model.index(0, 2)) == "5"
    assert destinations.world is not None and destinations.world.scores["DE"] == 13
    assert destinations.world.colour("DE").name() == "#c62828"
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    page.right_kind.setCurrentIndex(page.right_kind.findData("trademark"))
    assert {r.key for r in page.maps["destinations"].countries} == {"DE", "AE"}
    page.tabs.setCurrentIndex(1)
    page.export_to("pdf", tmp_path / "goods.pdf")
    page.export_to("csv", tmp_path / "goods.csv")
    assert (tmp_path / "goods.pdf").read_bytes().startswith(b"%PDF")
    exported = (tmp_path / "goods.csv").read_text(encoding="utf-8-sig")
    # Trademark filter: only the LED lamp (HS 94) and brake pads (HS 87) cases are counted.
    assert "Vehicles and parts" in exported and "Electrical machinery" not in exported


def test_guidance_panel_adds_a_proposed_deadline(qtbot: QtBot, demo_store: Store) -> None:
    from ui.knowledge.guidance_panel import GuidancePanel

    case_id = next(
        r.id
        for r in cases.list_cases(demo_store)
        if r.fair_name.startswith("Canton") and r.trigger.value == "panel_summons"
    )
    panel = GuidancePanel(demo_store, case_id)
    qtbot.addWidget(panel)
    assert panel.guidance is not None and panel.guidance.cards[0].id == "cn.canton-complaint"
    assert "24" in panel.cards.toPlainText()
    # The demo case already has its 24 h deadline (same due time): offered as already added.
    button = panel.add_buttons["cn-canton-24h"]
    assert button.text() == "Added" and not button.isEnabled()

    # A new complaint at the Canton Fair, served an hour ago: its 24 h answer can be added.
    # (The courts' own decision times, e.g. MWC's 48 h, are no deadline of ours: not offered.)
    canton = next(f.id for f in cases.list_fairs(demo_store) if f.name.startswith("Canton"))
    new_case = cases.create_case(
        demo_store,
        cases.CaseInput(
            "Second complaint",
            Direction.AGAINST_US,
            Trigger.COMPLAINT,
            canton,
            served_at=datetime.now(UTC) - timedelta(hours=1),
        ),
    )
    panel = GuidancePanel(demo_store, new_case)
    qtbot.addWidget(panel)
    before = len(cases.get_case(demo_store, new_case).deadlines)
    qtbot.mouseClick(panel.add_buttons["cn-canton-24h"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(cases.get_case(demo_store, new_case).deadlines) == before + 1)
    qtbot.waitUntil(lambda: panel.add_buttons["cn-canton-24h"].text() == "Added")
    mwc = next(r.id for r in cases.list_cases(demo_store) if r.fair_name == "MWC Barcelona")
    panel = GuidancePanel(demo_store, mwc)
    qtbot.addWidget(panel)
    assert panel.hint.isVisibleTo(panel) and "ex parte" in panel.hint.text()
    assert "es-exparte-48h" not in panel.add_buttons


def test_case_page_shows_the_next_hour_card_and_phone_numbers_for_the_case_country(
    qtbot: QtBot, demo_store: Store
) -> None:
    from ui.knowledge.guidance_panel import GuidancePanel

    hannover = next(r.id for r in cases.list_cases(demo_store) if r.fair_name == "Hannover Messe")
    panel = GuidancePanel(demo_store, hannover)
    qtbot.addWidget(panel)
    shown = panel.next_hour.toPlainText()
    assert "Germany: served or accused — the next hour" in shown
    assert "+49 30 275880" in shown and "+86 10 12308" in shown  # callable offline
    # The UPC's card follows Germany's own (the UPC applies in Germany).
    assert shown.index("Germany: served") < shown.index("Unified Patent Court: served")
    canton = next(r.id for r in cases.list_cases(demo_store) if r.fair_name.startswith("Canton"))
    panel = GuidancePanel(demo_store, canton)
    qtbot.addWidget(panel)
    assert "12330" in panel.next_hour.toPlainText()


def test_our_watch_item_shows_no_respondents_next_hour_card(
    qtbot: QtBot, demo_store: Store
) -> None:
    from ui.knowledge.guidance_panel import GuidancePanel

    watch = next(
        r.id for r in cases.list_cases(demo_store) if r.title.startswith("Trade dress watch")
    )
    panel = GuidancePanel(demo_store, watch)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.guidance is not None)
    assert "you hold the rights and are watching for copies" in panel.message.text()
    assert "served or accused" not in panel.next_hour.toPlainText()
    assert "protective letter" not in panel.documents.text().lower()
    assert panel.hint.isHidden()


def _hannover_panel(
    qtbot: QtBot, store: Store, direction: Direction, trigger: Trigger
) -> GuidancePanel:
    """The guidance panel of a new case at Hannover Messe, once its guidance has loaded."""
    from fairdesk.cases import CaseInput
    from ui.knowledge.guidance_panel import GuidancePanel

    fair = cases.find_fair(store, "Hannover Messe").id
    case_id = cases.create_case(store, CaseInput("Hannover case", direction, trigger, fair))
    panel = GuidancePanel(store, case_id)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.guidance is not None)
    return panel


def test_a_deadline_is_ours_or_theirs_by_our_side_of_the_case(
    qtbot: QtBot, demo_store: Store
) -> None:
    from PySide6.QtWidgets import QLabel

    def customs_deadline(direction: Direction) -> str:
        panel = _hannover_panel(qtbot, demo_store, direction, Trigger.CUSTOMS_ACTION)
        widgets = [panel.deadlines.itemAt(i).widget() for i in range(panel.deadlines.count())]  # type: ignore[union-attr]
        texts = [html.unescape(w.text()) for w in widgets if isinstance(w, QLabel)]
        return next(t for t in texts if "10 working days" in t)

    assert "Our deadline" in customs_deadline(Direction.BY_US)  # we applied to customs
    assert "The other side's deadline" in customs_deadline(Direction.AGAINST_US)


def test_the_respondents_remedies_are_shown_apart_on_our_own_case(
    qtbot: QtBot, demo_store: Store
) -> None:
    """On our injunction the objection is what the other side may do, under its own heading;
    on the injunction served on us it is our own procedure."""
    objection = "objection to a preliminary injunction (Widerspruch)"
    ours = _hannover_panel(qtbot, demo_store, Direction.BY_US, Trigger.COURT_ORDER)
    assert objection not in ours.cards.toPlainText()
    assert objection in ours.other_side.toPlainText()
    assert ours.other_side.isVisibleTo(ours) and ours.other_side_title.isVisibleTo(ours)
    assert "not as steps for you" in ours.other_side_note.text()
    assert "Only the respondent (the side the injunction" in ours.other_side.toPlainText()
    served = _hannover_panel(qtbot, demo_store, Direction.AGAINST_US, Trigger.COURT_ORDER)
    assert objection in served.cards.toPlainText()
    assert served.other_side.isHidden() and served.other_side_title.isHidden()


def test_pages_render_in_chinese(qtbot: QtBot, demo_store: Store) -> None:
    from ui.knowledge.library_page import LibraryPage
    from ui.knowledge.riskmaps_page import RiskMapsPage

    set_language("zh_CN")
    library_page = LibraryPage(demo_store)
    maps_page = RiskMapsPage(demo_store)
    qtbot.addWidget(library_page)
    qtbot.addWidget(maps_page)
    title = library_page.findChild(type(library_page.count_label), "pageTitle")
    assert title is not None and "参考资料库" in title.text()
    assert maps_page.tabs.tabText(0) == "高风险企业（我方出海企业）"
    assert (
        maps_page.views["destinations"].model.data(
            maps_page.views["destinations"].model.index(0, 1)
        )
        == "德国"
    )
    assert not library_page.grab().isNull()


def test_library_shows_contacts_the_change_log_and_the_check_before_relying_mark(
    qtbot: QtBot, store: Store
) -> None:
    from datetime import UTC, datetime

    from ui.clock import clock
    from ui.knowledge.library_page import LibraryPage

    page = LibraryPage(store)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.library is not None)
    page.show_entry("us.next-hour")
    text = page.view.toPlainText()
    assert "+1 202 205 1802" in text and "500 E Street" in text  # callable offline
    page.show_entry("de.protective-letter")
    assert "No verified phone number" in page.view.toPlainText()  # said, not left blank
    assert "Check before relying" not in page.view.toPlainText()

    qtbot.mouseClick(page.changes_button, Qt.MouseButton.LeftButton)
    changes = page.view.toPlainText()
    assert "What changed in 2026.12" in changes and "Law no. 102 of 24 July 2023" in changes

    # A year and a half on, the MWC protocol and every other card are past their review date.
    before = clock().now()
    clock().set_fixed(datetime(2028, 6, 1, tzinfo=UTC))
    try:
        page.refresh()
        page.show_entry("es.fast-action")
        assert "Check before relying: the review date 2026-12-31 has passed" in (
            page.view.toPlainText()
        )
        first = page.results.item(0).text()
        assert first.startswith("\u26a0") and "check before relying" in first
    finally:
        clock().set_fixed(before)


def test_guidance_centre_contact_reads_in_chinese(qtbot: QtBot, store: Store) -> None:
    """QA walk: the 12330 hotline's phone note and hours were English in the Chinese UI."""
    from ui.knowledge.library_page import LibraryPage

    set_language("zh_CN")
    try:
        page = LibraryPage(store)
        qtbot.addWidget(page)
        qtbot.waitUntil(lambda: page.library is not None)
        page.show_entry("cn.guidance-centre")
        text = page.view.toPlainText()
        assert "12330（中国境内" in text and "工作日" in text  # the number, its note in Chinese
        assert "inside China" not in text and "working days" not in text
    finally:
        set_language("en")
    page.show_entry("cn.guidance-centre")
    assert "12330 (inside China" in page.view.toPlainText()  # English stays English
