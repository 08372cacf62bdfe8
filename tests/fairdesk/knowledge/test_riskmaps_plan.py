"""Risk maps on the action plan's terms: our exporters by open exposure, the priority
industries, red/yellow/blue per row and per map with the rule that set it, monthly trends.

The cases are created in 2020 and the maps filtered to 2020, so the demo data (created "now")
stays out and every figure below can be checked by hand."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from fairdesk import cases
from fairdesk.cases import CaseInput, PartyInput
from fairdesk.i18n import set_language
from fairdesk.knowledge import riskmaps
from fairdesk.model import Direction, Level, PartyRole, Status, Trigger
from fairdesk.store import Store

YEAR_2020 = riskmaps.RiskFilter(
    since=datetime(2020, 1, 1, tzinfo=UTC), until=datetime(2020, 12, 31, tzinfo=UTC)
)
MOTO = "Chongqing Example Motorcycle Co., Ltd. (fictional)"
PHONES = "重庆示例电子有限公司（虚构）"


def _fair(store: Store, country: str) -> str:
    return next(f.id for f in cases.list_fairs(store) if f.country == country)


def _case(
    store: Store,
    when: datetime,
    trigger: Trigger,
    products: str,
    ours: str | None,
    *,
    country: str = "DE",
    status: Status = Status.OPEN,
    direction: Direction = Direction.AGAINST_US,
    role: PartyRole = PartyRole.US,
) -> str:
    parties = [PartyInput(PartyRole.COMPLAINANT, "Legal", "Beispiel Motor AG (fictional)")]
    if ours:
        parties.append(PartyInput(role, "Sales", ours))
    return cases.create_case(
        store,
        CaseInput(
            f"{products} {when:%m}",
            direction,
            trigger,
            _fair(store, country),
            status=status,
            products=products,
            parties=parties,
        ),
        now=when,
    )


def _fill(store: Store) -> None:
    # MOTO: one open red (seizure) and one closed yellow; PHONES: two open yellow complaints
    # (2+2 = 4 open exposure beats MOTO's 3); one case names no exporter of ours.
    _case(store, datetime(2020, 3, 2, tzinfo=UTC), Trigger.SEIZURE, "Motorcycle exhaust pipe", MOTO)
    _case(
        store,
        datetime(2020, 3, 20, tzinfo=UTC),
        Trigger.COMPLAINT,
        "摩托车 brake lever",
        MOTO,
        status=Status.CLOSED,
    )
    for day in (1, 2):
        _case(store, datetime(2020, 5, day, tzinfo=UTC), Trigger.COMPLAINT, "Smartphone X1", PHONES)
    # Entered as the respondent of a case against us (no "Us" party): still our exporter.
    _case(
        store,
        datetime(2020, 5, 9, tzinfo=UTC),
        Trigger.WARNING_LETTER,
        "5G router",
        "Chongqing Example Electronics Co Ltd",
        role=PartyRole.RESPONDENT,
        country="US",
    )
    _case(store, datetime(2020, 6, 1, tzinfo=UTC), Trigger.COMPLAINT, "XQ-9 widget", None)


def test_enterprises_are_our_exporters_ranked_by_open_exposure(demo_store: Store) -> None:
    _fill(demo_store)
    m = riskmaps.enterprises(demo_store, YEAR_2020)
    ranked = [(r.label_en, r.count, r.open, r.open_score) for r in m.rows]
    # "重庆示例电子有限公司" and "Chongqing Example Electronics Co Ltd" are different spellings a
    # human would merge only with a lookup table: kept apart, each honest.
    assert ranked[0][0] == "重庆示例电子有限公司"  # open exposure 2+2 beats 3
    by_name = {r.label_en: r for r in m.rows}
    phones = by_name["重庆示例电子有限公司"]
    assert (phones.count, phones.open, phones.open_score) == (2, 2, 4)
    moto = by_name["Chongqing Example Motorcycle Co., Ltd."]
    assert (moto.count, moto.open, moto.open_score, moto.red) == (2, 1, 3, 1)
    assert "Chongqing Example Electronics Co Ltd" in by_name  # respondent when served = us
    assert [r.open_score for r in m.rows] == sorted((r.open_score for r in m.rows), reverse=True)
    # The claimant is never an exporter; it sits in the other-side table with its wording.
    assert not any("Beispiel" in name for name in by_name)
    other = m.counterparties[0]
    assert other.label_en == "Beispiel Motor AG" and other.detail == {"claimant": 6}
    # The case naming no exporter of ours is counted apart, with a prompt to fix it.
    assert m.no_exporter == 1
    assert "name no exporter of ours" in riskmaps.unclassified_note(m)


def test_row_and_map_levels_follow_the_written_rules(demo_store: Store) -> None:
    _fill(demo_store)
    m = riskmaps.enterprises(demo_store, YEAR_2020)
    by_name = {r.label_en: r for r in m.rows}
    assert (
        by_name["Chongqing Example Motorcycle Co., Ltd."].level,
        by_name["Chongqing Example Motorcycle Co., Ltd."].rule,
    ) == (Level.RED, "M1")
    assert (by_name["重庆示例电子有限公司"].level, by_name["重庆示例电子有限公司"].rule) == (
        Level.YELLOW,
        "M3",
    )
    # The map is red because of the open seizure, and says so.
    assert (m.level, m.rule, m.level_row) == (
        Level.RED,
        "M1",
        "Chongqing Example Motorcycle Co., Ltd.",
    )
    assert "M1" in riskmaps.level_text(m) and "open red case" in riskmaps.level_text(m)
    # Closed history only: blue (M5); three closed cases: yellow by volume (M4).
    row = riskmaps.RiskRow("x", "x", "x", count=1)
    assert riskmaps.assign_level(row).rule == "M5" and row.level is Level.BLUE
    row = riskmaps.RiskRow("x", "x", "x", count=3)
    assert riskmaps.assign_level(row).rule == "M4"
    row = riskmaps.RiskRow("x", "x", "x", count=3, red=3)
    assert riskmaps.assign_level(row).level is Level.RED and row.rule == "M2"
    empty = riskmaps.enterprises(
        demo_store,
        riskmaps.RiskFilter(
            since=datetime(1990, 1, 1, tzinfo=UTC), until=datetime(1990, 2, 1, tzinfo=UTC)
        ),
    )
    assert empty.rule == "" and riskmaps.level_text(empty) == "No cases in the period."


def test_trends_count_cases_per_month_per_row(demo_store: Store) -> None:
    _fill(demo_store)
    m = riskmaps.destinations(demo_store, YEAR_2020)
    months = riskmaps.months_span(m)
    assert months == ["2020-03", "2020-04", "2020-05", "2020-06"]  # April: a gap, not skipped
    de = next(r for r in m.rows if r.key == "DE")
    assert riskmaps.trend(de, months) == [2, 0, 2, 1]
    us = next(r for r in m.rows if r.key == "US")
    assert riskmaps.trend(us, months) == [0, 0, 1, 0]


def test_goods_by_priority_industry(demo_store: Store) -> None:
    _fill(demo_store)
    m = riskmaps.goods(demo_store, YEAR_2020)
    industries = {r.key: r for r in m.industries}
    # All three of the plan's industries are shown, in the plan's order, even when empty.
    assert [r.key for r in m.industries] == ["icv_nev", "motorcycles", "electronic_info"]
    assert industries["motorcycles"].count == 2  # exhaust pipe + 摩托车 brake lever
    assert industries["icv_nev"].count == 1  # the brake lever is a vehicle part too
    assert industries["electronic_info"].count == 3  # two smartphones + the 5G router
    assert industries["motorcycles"].level is Level.RED  # open seizure → M1
    assert riskmaps.industries_of("XQ-9 widget") == ()
    assert m.unclassified is not None and m.unclassified.count == 1


def test_exports_carry_level_and_second_tables(demo_store: Store, tmp_path: Path) -> None:
    _fill(demo_store)
    set_language("zh_CN")
    m = riskmaps.enterprises(demo_store, YEAR_2020)
    pdf = riskmaps.export_pdf(m, tmp_path / "e.pdf")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "重庆示例电子有限公司" in text and "Beispiel Motor AG" in text
    assert "M1" in text
    lines = riskmaps.table(m)
    assert lines[0][1] == "我方出口企业"
