"""The Risk maps page shows our exporters, the map's colour with its rule, the second table
and the monthly trend; rendered offscreen in English and Chinese."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fairdesk.i18n import set_language
from fairdesk.store import Store
from tests.fairdesk.knowledge.test_riskmaps_plan import _fill


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_risk_maps_page_shows_exporters_levels_and_trends(
    qtbot: QtBot, demo_store: Store, tmp_path: Path, language: str, qtmodeltester: object
) -> None:
    from ui.knowledge.riskmaps_page import RiskMapsPage, sparkline

    set_language(language)
    _fill(demo_store)
    page = RiskMapsPage(demo_store)
    qtbot.addWidget(page)
    page.resize(1280, 820)
    view = page.views["enterprises"]
    qtbot.waitUntil(lambda: view.model.rowCount() > 0)
    qtmodeltester.check(view.model)  # type: ignore[attr-defined]
    names = [view.model.data(view.model.index(i, 1)) for i in range(view.model.rowCount())]
    assert names[0] == "重庆示例电子有限公司"  # highest open exposure first
    assert not any("Beispiel" in n for n in names)  # the claimant is not "at risk" with us
    assert "M1" in view.model.data(
        view.model.index(names.index("Chongqing Example Motorcycle Co., Ltd."), 6)
    )
    assert "M1" in view.level.text()
    assert view.second.rowCount() > 0 and "Beispiel Motor AG" in [
        view.second.data(view.second.index(i, 1)) for i in range(view.second.rowCount())
    ]
    goods = page.views["goods"]
    industries = [goods.second.data(goods.second.index(i, 1)) for i in range(3)]
    assert industries[1] == ("摩托车" if language == "zh_CN" else "Motorcycles")
    exposure = goods.profile.text()
    if language == "en":
        assert "Section 337 (US imports): USA: ITC Section 337 investigation" in exposure
        assert "Standard-essential patents" in exposure and "Gap:" in exposure
    else:
        assert "标准必要专利" in exposure
    assert sparkline([0, 2, 1]) == "▁█▅" and sparkline([]) == ""
    # Trend: the last 24 months as bars; Germany's demo cases were created this month, so
    # the last bar is the highest; the tooltip lists every month back to 2020-03.
    dest = page.views["destinations"]
    germany = [dest.model.data(dest.model.index(i, 1)) for i in range(dest.model.rowCount())]
    row = germany.index("德国" if language == "zh_CN" else "Germany")
    trend = dest.model.data(dest.model.index(row, 7))
    assert len(trend) == 24 and trend[-1] == "█"
    tip = dest.model.data(dest.model.index(row, 7), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("2020-03: 2, 2020-04: 0, 2020-05: 2")
    # Destinations: the top country's legal risk profile from sourced cards, the damages gap
    # shown as a gap, and its upcoming fairs from the catalogue.
    profile = dest.profile.text()
    if language == "en":
        assert "Legal risk profile: Germany" in profile
        assert "Germany: preliminary injunction" in profile and "Germany: customs" in profile
        assert "Gap: no sourced card in the library" in profile  # typical damages
        assert "Hannover Messe" in profile
    else:
        assert "法律风险概况：德国" in profile and "空白" in profile
    for kind in ("enterprises", "goods", "destinations"):
        page.tabs.setCurrentWidget(page.views[kind])
        shot = tmp_path / f"riskmaps-{kind}-{language}.png"
        assert page.grab().save(str(shot))
        assert shot.stat().st_size > 10_000
        keep = os.environ.get("FAIRDESK_SCREENSHOTS")
        if keep:
            page.grab().save(str(Path(keep) / shot.name))


def test_one_click_risk_reminder_from_a_destination_row(qtbot: QtBot, demo_store: Store) -> None:
    from PySide6.QtCore import QItemSelectionModel

    from fairdesk.documents import service
    from ui.knowledge.riskmaps_page import RiskMapsPage

    _fill(demo_store)
    page = RiskMapsPage(demo_store)
    qtbot.addWidget(page)
    page.tabs.setCurrentWidget(page.views["destinations"])
    assert page.reminder.isVisibleTo(page)
    page.tabs.setCurrentWidget(page.views["goods"])
    assert not page.reminder.isVisibleTo(page)  # only where a row is a destination
    page.tabs.setCurrentWidget(page.views["destinations"])
    page.risk_reminder()
    assert page.subtitle.text() == "Select a country or fair row first."
    view = page.views["destinations"]
    qtbot.waitUntil(lambda: view.model.rowCount() > 0)
    view.table.selectionModel().select(
        view.model.index(0, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    # No company name on file yet: the service's sentence, nothing stored.
    page.risk_reminder()
    qtbot.waitUntil(lambda: "company" in page.subtitle.text().lower())
    assert page.last_reminder is None
    page.risk_reminder({"company_name": "Chongqing Example Trade Group", "signatory_name": "Li"})
    qtbot.waitUntil(lambda: page.last_reminder is not None)
    done = page.last_reminder
    assert done is not None and done.fair.country == "DE"
    assert "Risk reminder saved for" in page.subtitle.text()
    assert [d.kind for d in service.list_documents(demo_store, done.case_id)].count(
        "risk_reminder"
    ) == 1
