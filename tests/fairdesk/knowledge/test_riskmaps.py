"""The three risk maps rank the demo data sensibly and export to CSV and PDF."""

from __future__ import annotations

import csv
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fairdesk import cases
from fairdesk.cases import CaseInput, PartyInput
from fairdesk.i18n import set_language
from fairdesk.knowledge import alerts, riskmaps
from fairdesk.model import Direction, PartyRole, RightKind, Trigger
from fairdesk.store import Store


def _top(risk_map: riskmaps.RiskMap, n: int = 3) -> list[tuple[str, int, int]]:
    return [(r.label_en, r.count, r.score) for r in risk_map.rows[:n]]


def test_destinations_rank_germany_and_hannover_first(demo_store: Store) -> None:
    m = riskmaps.destinations(demo_store)
    # Demo: 5 cases in Germany (3 red, 2 yellow → 13), 2 each in China and the USA.
    assert (m.countries[0].key, m.countries[0].count, m.countries[0].score) == ("DE", 5, 13)
    # China is home, not a destination; the table is countries only, in score order.
    assert "CN" not in {r.key for r in m.countries} and m.countries[1].key == "US"
    assert m.rows == m.countries
    scores = [r.score for r in m.rows]
    assert scores == sorted(scores, reverse=True)
    assert (m.fairs[0].label_en, m.fairs[0].count) == ("Hannover Messe", 3)  # their own table
    assert m.cases_counted == 14
    abroad = riskmaps.destinations(demo_store, riskmaps.RiskFilter(home_country="DE"))
    assert "DE" not in {r.key for r in abroad.countries} and "CN" in {r.key for r in abroad.rows}


def test_goods_rank_electronics_first(demo_store: Store) -> None:
    fair = cases.list_fairs(demo_store)[0].id
    cases.create_case(
        demo_store,
        CaseInput(
            "Odd item", Direction.AGAINST_US, Trigger.COMPLAINT, fair, products="XQ-9 widget"
        ),
    )
    m = riskmaps.goods(demo_store)
    assert m.rows[0].key == "hs85" and m.rows[0].count == 7
    # "Unclassified" is never ranked: it stands apart, with a prompt to classify.
    assert "other" not in {r.key for r in m.rows}
    assert m.unclassified is not None and m.unclassified.count == 1
    assert "Classify them" in riskmaps.unclassified_note(m)
    assert m.rows[1].key == "hs87"  # brake pads, e-scooter
    assert riskmaps.classify_goods("Phone case PC-12").key == "hs42"  # longest keyword wins
    assert riskmaps.classify_goods("便携式榨汁机 JX-200").key == "hs85"
    assert riskmaps.classify_goods("Sled").key == "other"  # "led" only at a word start


def test_enterprises_merge_spellings_and_rank_repeat_complainants_first(demo_store: Store) -> None:
    fair = cases.list_fairs(demo_store)[0].id
    cases.create_case(
        demo_store,
        CaseInput(
            "Second complaint",
            Direction.AGAINST_US,
            Trigger.COMPLAINT,
            fair,
            parties=[PartyInput(PartyRole.COMPLAINANT, "Dr. Someone", "BEISPIEL HYDRAULIK gmbh")],
        ),
    )
    m = riskmaps.enterprises(demo_store)
    top = m.counterparties[0]
    assert top.label_en == "Beispiel Hydraulik GmbH" and top.count == 2
    assert top.detail == {"claimant": 2}
    assert riskmaps._detail_text(top) == "claimant in 2 cases"
    assert riskmaps.normalise_name("示例家电有限公司（虚构）") == riskmaps.normalise_name(
        "示例家电"
    )
    copiers = [r for r in m.counterparties if r.detail.get("copier")]
    assert "Muster Solar GmbH" in {r.label_en for r in copiers}
    assert all("alleged copier in" in riskmaps._detail_text(r) for r in copiers)


def test_enterprises_never_list_authorities_or_our_own_side(demo_store: Store) -> None:
    fair = cases.list_fairs(demo_store)[0].id
    cases.create_case(
        demo_store,
        CaseInput(
            "Injunction served",
            Direction.AGAINST_US,
            Trigger.COURT_ORDER,
            fair,
            parties=[
                # Entered under the wrong role by a hurried responder: still not an enterprise.
                PartyInput(PartyRole.COMPLAINANT, "Clerk", "Landgericht Düsseldorf"),
                PartyInput(PartyRole.COMPLAINANT, "Officer", "Hauptzollamt Hannover"),
                PartyInput(PartyRole.RESPONDENT, "Us", "Chongqing Moto Export Co"),
                PartyInput(PartyRole.BAILIFF, "Gerichtsvollzieher Meyer"),
                PartyInput(PartyRole.COMPLAINANT, "Legal", "Real Claimant AG"),
            ],
        ),
    )
    cases.create_case(
        demo_store,
        CaseInput(
            "We found a copy",
            Direction.BY_US,
            Trigger.COPY_SPOTTED,
            fair,
            parties=[
                PartyInput(PartyRole.COMPLAINANT, "Us", "Chongqing Moto Export Co"),
                PartyInput(PartyRole.RESPONDENT, "Seller", "Copy Shop Ltd"),
            ],
        ),
    )
    names = {r.label_en: r for r in riskmaps.enterprises(demo_store).counterparties}
    assert "Real Claimant AG" in names and "Copy Shop Ltd" in names
    assert riskmaps._detail_text(names["Copy Shop Ltd"]) == "alleged copier in 1 cases"
    for wrong in ("Landgericht Düsseldorf", "Hauptzollamt Hannover", "Chongqing Moto Export Co"):
        assert not any(wrong.split()[0] in n for n in names), wrong
    assert not any("Gerichtsvollzieher" in n for n in names)
    assert riskmaps.is_authority("广州知识产权法院") and not riskmaps.is_authority("示例家电")


def test_filters_by_right_kind_and_time(demo_store: Store) -> None:
    trademarks = riskmaps.destinations(
        demo_store, riskmaps.RiskFilter(right_kind=RightKind.TRADEMARK)
    )
    assert trademarks.cases_counted == 2  # LED lamp (DE) and brake pads (AE)
    assert {r.key for r in trademarks.countries} == {"DE", "AE"}
    future = riskmaps.RiskFilter(since=datetime.now(UTC) + timedelta(days=1))
    assert riskmaps.goods(demo_store, future).rows == ()


def test_alerts_add_weight_to_what_they_name(demo_store: Store) -> None:
    before = {r.key: r.score for r in riskmaps.destinations(demo_store).countries}
    alerts.fill_demo_alerts(demo_store)  # red for ES (+3), yellow for DE (+2)
    after = {r.key: r for r in riskmaps.destinations(demo_store).countries}
    assert after["ES"].score == before["ES"] + 3 and after["ES"].detail["alerts"] == 1
    assert after["DE"].score == before["DE"] + 2
    goods = {r.key: r.score for r in riskmaps.goods(demo_store).rows}
    assert goods["hs85"] == 15 + 3


def test_csv_and_pdf_exports(demo_store: Store, tmp_path: Path) -> None:
    set_language("zh_CN")
    m = riskmaps.destinations(demo_store)
    csv_path = riskmaps.export_csv(m, tmp_path / "d.csv")
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][0] == "1" and "德国" in rows[1][1] and rows[1][2] == "5"
    pdf = riskmaps.export_pdf(m, tmp_path / "d.pdf")
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    lines = fonts.splitlines()[2:]
    assert lines and all(re.search(r"\byes\s+yes\b", line) for line in lines), fonts
    assert "Helvetica" not in fonts and "NotoSansSC" in fonts
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "高风险目的地" in text and "德国" in text and "Hannover Messe" in text
