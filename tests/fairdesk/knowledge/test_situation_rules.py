"""The situation table: 48 situations (from 56 sets of case facts) across DE, UPC, US, FR,
IT, ES, GB, HK, AE, JP and CN.

Each row is read from the case's facts (trigger, direction, fair, court party, rights) to a
situation, and the guidance for it must show the expected card first, propose exactly the
expected deadlines and suggest exactly the expected documents. The standing rules (no
right-holder form to a respondent, no pre-emptive letter after the fact, every proposed
deadline with its anchor and sources) are checked on every row; an uncovered situation says
so and proposes nothing beyond the safe minimum.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest

from fairdesk.knowledge import guidance, library
from fairdesk.knowledge.situation_rules import (
    AFTER_THE_FACT,
    ANCHORS,
    HOLDER_FORMS,
    check_rules,
    parse_rules,
    shipped_rules,
)
from fairdesk.model import Direction, Trigger
from fairdesk.situation import CaseFacts, OurRole, computed_situation, read_situation

from .conftest import NOW

A, B = Direction.AGAINST_US, Direction.BY_US
RESP = ("non_infringement", "evidence_report", "hq_notification")
PANEL = ("panel_response", "non_infringement", "evidence_report", "hq_notification")
SAFE = ("evidence_report", "hq_notification")
UPC_DL = {"upc-review-request", "upc-merits-31-20"}
FAIRS = {
    "hannover": ("DE", "Hannover Messe", "Europe/Berlin"),
    "automechanika": ("DE", "Automechanika Frankfurt", "Europe/Berlin"),
    "paris": ("FR", "Salon Example Paris", "Europe/Paris"),
    "eicma": ("IT", "EICMA", "Europe/Rome"),
    "mwc": ("ES", "MWC Barcelona", "Europe/Madrid"),
    "ces": ("US", "CES", "America/Los_Angeles"),
    "london": ("GB", "Example Show London", "Europe/London"),
    "hktdc": ("HK", "HKTDC Electronics Fair", "Asia/Hong_Kong"),
    "dubai": ("AE", "Automechanika Dubai", "Asia/Dubai"),
    "tokyo": ("JP", "Example Expo Tokyo", "Asia/Tokyo"),
    "canton": ("CN", "Canton Fair (China Import and Export Fair)", "Asia/Shanghai"),
    "shenzhen": ("CN", "Shenzhen Electronics Fair", "Asia/Shanghai"),
}


@dataclass(frozen=True)
class Row:
    fair: str
    direction: Direction
    trigger: Trigger
    key: str  # the situation expected
    first: str | None  # the card shown first
    deadlines: frozenset[str]
    documents: tuple[str, ...]
    courts: tuple[str, ...] = ()
    offices: tuple[str, ...] = ()
    correction: str = ""
    roles: tuple[str, ...] = ()


def row(
    fair: str,
    direction: Direction,
    trigger: Trigger,
    key: str,
    first: str | None,
    deadlines: set[str],
    documents: tuple[str, ...],
    **facts: object,
) -> Row:
    return Row(fair, direction, trigger, key, first, frozenset(deadlines), documents, **facts)  # type: ignore[arg-type]


TABLE = [
    # Germany
    row("hannover", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/DE", "de.widerspruch", {"de-holder-serve-1-month"}, RESP),
    row("hannover", A, Trigger.WARNING_LETTER, "respondent/warning_letter/DE", "de.warning-letter", {"de-warning-same-day"}, ("non_infringement", "evidence_report", "protective_letter", "hq_notification")),
    row("hannover", A, Trigger.SEIZURE, "respondent/bailiff_seizure/DE", "de.injunction", set(), RESP),
    row("hannover", A, Trigger.CUSTOMS_ACTION, "respondent/customs_detention_of_our_goods/DE", "eu.customs-holder", {"eu-customs-10wd"}, SAFE),
    row("automechanika", A, Trigger.COMPLAINT, "respondent/desk_complaint_against_us/DE", "de.organiser", set(), RESP),
    row("hannover", B, Trigger.COPY_SPOTTED, "complainant/copy_spotted/DE", "de.warning-letter", set(), ("evidence_report", "warning_letter", "hq_notification")),
    row("hannover", B, Trigger.CUSTOMS_ACTION, "complainant/our_customs_application/DE", "eu.customs-holder", {"eu-customs-10wd"}, ("evidence_report", "customs_request", "hq_notification")),
    row("hannover", A, Trigger.RISK_NOTICE, "watch/risk_notice/DE", "de.protective-letter", {"de-zssr-expiry", "upc-pl-expiry"}, ("protective_letter", "hq_notification")),
    row("hannover", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/DE", "de.criminal", set(), ("evidence_report", "hq_notification"), correction="respondent/police_raid/DE"),
    row("hannover", A, Trigger.SEIZURE, "respondent/police_raid/DE", "de.criminal", set(), SAFE, roles=("police", "complainant")),
    row("hannover", A, Trigger.SEIZURE, "respondent/bailiff_seizure/DE", "de.injunction", set(), RESP, roles=("police", "bailiff")),
    # UPC: from the court party or a unitary patent asserted against us — not from "EP" alone
    row("hannover", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/UPC", "upc.provisional-measures", UPC_DL, RESP, courts=("Unified Patent Court, Local Division Düsseldorf",)),
    row("hannover", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/UPC", "upc.provisional-measures", UPC_DL, RESP, courts=("UPC",), offices=("EP",)),
    row("hannover", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/UPC", "upc.provisional-measures", UPC_DL, RESP, courts=("UPC Local Division Munich",)),
    row("hannover", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/DE", "de.widerspruch", {"de-holder-serve-1-month"}, RESP, courts=("Landgericht Düsseldorf", "CUPCO Gerichtsvollzieher")),
    row("hannover", A, Trigger.SEIZURE, "respondent/bailiff_seizure/UPC", "upc.provisional-measures", UPC_DL, ("non_infringement", "evidence_report", "hq_notification"), offices=("UPC",)),
    row("hannover", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/DE", "de.widerspruch", {"de-holder-serve-1-month"}, RESP, offices=("EP",)),
    row("paris", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/UPC", "upc.provisional-measures", UPC_DL, RESP, courts=("统一专利法院",)),
    # France
    row("paris", A, Trigger.SEIZURE, "respondent/bailiff_seizure/FR", "fr.saisie", {"fr-saisie-void"}, RESP),
    row("paris", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/FR", "fr.saisie", {"fr-saisie-void"}, RESP),
    row("paris", B, Trigger.COPY_SPOTTED, "complainant/copy_spotted/FR", "fr.saisie", set(), ("evidence_report", "warning_letter", "hq_notification")),
    # Italy
    row("eicma", A, Trigger.SEIZURE, "respondent/bailiff_seizure/IT", "it.descrizione", set(), RESP),
    row("eicma", A, Trigger.COMPLAINT, "respondent/desk_complaint_against_us/IT", "it.organiser", set(), PANEL),
    row("eicma", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/IT", "it.descrizione", set(), RESP),
    # Spain
    row("mwc", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/ES", "es.fast-action", set(), RESP),
    row("mwc", A, Trigger.WARNING_LETTER, "respondent/warning_letter/ES", "es.fast-action", set(), ("non_infringement", "evidence_report", "protective_letter", "hq_notification")),
    row("mwc", A, Trigger.RISK_NOTICE, "watch/risk_notice/ES", "es.fast-action", set(), ("protective_letter", "hq_notification")),
    # USA
    row("ces", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/US", "us.tro", {"us-tro-14-days", "us-tro-dissolve"}, RESP),
    row("ces", A, Trigger.CUSTOMS_ACTION, "respondent/customs_detention_of_our_goods/US", "us.cbp", {"us-cbp-30-days"}, SAFE),
    row("ces", A, Trigger.COMPLAINT, "respondent/desk_complaint_against_us/US", "us.ces-procedure", set(), RESP),
    row("ces", B, Trigger.COPY_SPOTTED, "complainant/copy_spotted/US", "us.ces-procedure", set(), ("evidence_report", "warning_letter", "hq_notification")),
    row("ces", A, Trigger.WATCH, "watch/risk_notice/US", "us.tro", set(), ("hq_notification",)),
    # United Kingdom
    row("london", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/GB", "gb.injunction", set(), RESP),
    # Hong Kong
    row("hktdc", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/HK", "hk.injunction", {"hk-return-date"}, RESP),
    row("hktdc", A, Trigger.COMPLAINT, "respondent/desk_complaint_against_us/HK", "hk.organiser", set(), PANEL),
    row("hktdc", B, Trigger.CUSTOMS_ACTION, "complainant/our_customs_application/HK", "hk.customs", set(), ("evidence_report", "customs_request", "hq_notification")),
    # UAE
    row("dubai", A, Trigger.CUSTOMS_ACTION, "respondent/customs_detention_of_our_goods/AE", "ae.customs", set(), SAFE),
    row("dubai", B, Trigger.CUSTOMS_ACTION, "complainant/our_customs_application/AE", "ae.customs", {"ae-customs-1wd"}, ("evidence_report", "customs_request", "hq_notification")),
    row("dubai", A, Trigger.COMPLAINT, "respondent/desk_complaint_against_us/AE", "ae.det", set(), RESP),
    # Japan
    row("tokyo", A, Trigger.CUSTOMS_ACTION, "respondent/customs_detention_of_our_goods/JP", "jp.customs", {"jp-customs-10bd"}, RESP),
    row("tokyo", B, Trigger.CUSTOMS_ACTION, "complainant/our_customs_application/JP", "jp.customs", set(), ("evidence_report", "customs_request", "hq_notification")),
    row("tokyo", A, Trigger.COURT_ORDER, "respondent/ex_parte_order_served/JP", "jp.injunction", set(), RESP),
    # China
    row("canton", A, Trigger.PANEL_SUMMONS, "respondent/desk_complaint_against_us/CN", "cn.canton-complaint", {"cn-canton-24h"}, PANEL),
    row("shenzhen", A, Trigger.COMPLAINT, "respondent/desk_complaint_against_us/CN", "cn.cnipa-guideline", {"cn-art14-24h"}, PANEL),
    row("canton", B, Trigger.COMPLAINT, "complainant/our_desk_complaint/CN", "cn.canton-complaint", set(), SAFE),
    # Our own order or seizure: the holder's deadlines (enforce, sue on the merits)
    row("hannover", B, Trigger.COURT_ORDER, "complainant/our_court_order/DE", "de.injunction", {"de-our-enforce-1-month"}, SAFE),
    row("hannover", B, Trigger.COURT_ORDER, "complainant/our_court_order/UPC", "upc.provisional-measures", {"upc-our-merits-31-20"}, SAFE, courts=("UPC Local Division Munich",)),
    row("paris", B, Trigger.SEIZURE, "complainant/our_seizure/FR", "fr.saisie", {"fr-saisie-void"}, SAFE),
    row("paris", B, Trigger.SEIZURE, "complainant/our_seizure/UPC", "upc.provisional-measures", {"upc-our-merits-31-20"}, SAFE, courts=("Unified Patent Court, Paris LD",)),
    row("ces", B, Trigger.COURT_ORDER, "complainant/our_court_order/US", "us.tro", {"us-our-tro-14-days"}, SAFE),
    # Our own watch item: the holder's routes, no protective letter (the other side's tool)
    row("hannover", B, Trigger.WATCH, "holder_watch/risk_notice/DE", "de.warning-letter", set(), SAFE),
    row("paris", B, Trigger.WATCH, "holder_watch/risk_notice/FR", "fr.saisie", set(), SAFE),
    row("eicma", B, Trigger.WATCH, "holder_watch/risk_notice/IT", "it.organiser", set(), SAFE),
    row("ces", B, Trigger.WATCH, "holder_watch/risk_notice/US", "us.ces-procedure", set(), SAFE),
    row("dubai", B, Trigger.WATCH, "holder_watch/risk_notice/AE", "ae.det", set(), SAFE),
    row("canton", B, Trigger.WATCH, "holder_watch/risk_notice/CN", "cn.canton-complaint", set(), SAFE),
]  # fmt: skip


def _facts(r: Row) -> CaseFacts:
    country = FAIRS[r.fair][0]
    return CaseFacts(r.trigger, r.direction, country, r.courts, r.offices, r.correction, r.roles)


def _guide(shipped: library.Library, r: Row) -> guidance.Guidance:
    country, name, tz = FAIRS[r.fair]
    reading = read_situation(_facts(r))
    return guidance.guidance_for(
        shipped,
        country=country,
        fair_name=name,
        direction=r.direction,
        trigger=r.trigger,
        served_at=NOW,
        fair_time_zone=tz,
        now=NOW,
        situation=reading.situation,
    )


def test_the_table_spans_the_countries_and_the_upc() -> None:
    assert len(TABLE) >= 30
    where = {r.key.rsplit("/", 1)[1] for r in TABLE}
    assert where >= {"DE", "UPC", "US", "FR", "IT", "ES", "GB", "HK", "AE", "JP", "CN"}


@pytest.mark.parametrize(
    "r", TABLE, ids=lambda r: f"{r.fair}-{r.direction.value}-{r.trigger.value}"
)
def test_situation_drives_cards_deadlines_and_documents(shipped: library.Library, r: Row) -> None:
    reading = read_situation(_facts(r))
    expected = r.correction or r.key
    assert reading.situation.key() == expected
    assert computed_situation(_facts(r)).key() == r.key
    g = _guide(shipped, r)
    assert g.covered, g.message
    if r.first is not None:
        assert g.cards[0].id == r.first
    assert {d.spec_id for d in g.deadlines} == r.deadlines
    assert g.documents == r.documents
    situation = reading.situation
    if situation.role is OurRole.RESPONDENT:
        assert not HOLDER_FORMS & set(g.documents)
    if situation.event in AFTER_THE_FACT or situation.role is OurRole.HOLDER_WATCH:
        assert "protective_letter" not in g.documents
    # Our procedures are ours or either side's; the other side's are listed apart.
    assert all(e.addressed_to in (None, situation.side) for e in g.cards)
    assert all(e.addressed_to not in (None, situation.side) for e in g.other_side)
    for d in g.deadlines:
        assert d.anchor in ANCHORS and d.sources, d.spec_id
        assert d.note


def test_germany_injunction_served_objection_path_not_the_holders_month(
    shipped: library.Library,
) -> None:
    g = _guide(shipped, TABLE[0])
    assert [e.id for e in g.cards[:3]] == [
        "de.widerspruch",
        "de.injunction",
        "de.abschlusserklaerung",
    ]
    # The holder's month is shown for checking only: anchored on service on the holder, no date,
    # nothing to add — never counted from the service on us.
    (month,) = g.deadlines
    assert month.spec_id == "de-holder-serve-1-month" and month.anchor == "service_on_holder"
    assert month.due_at is None and month.input is None
    assert "not from service on you" in g.note and "Widerspruch" in g.note
    assert {s.ref for s in g.note_sources} >= {89, 91}
    assert not any(d.due_at is not None for d in g.deadlines)


def test_the_respondents_remedies_are_the_other_side_on_our_own_german_order(
    shipped: library.Library,
) -> None:
    """The objection and the final declaration are the respondent's: on the injunction we
    obtained they say what the other side may do, never a procedure of ours."""
    (order,) = [r for r in TABLE if r.key == "complainant/our_court_order/DE"]
    ours = _guide(shipped, order)
    assert ours.situation is not None and ours.situation.side == "holder"
    theirs = {"de.widerspruch", "de.abschlusserklaerung", "de.protective-letter"}
    assert theirs <= {e.id for e in ours.other_side}
    assert not theirs & {e.id for e in ours.cards}
    assert ours.cards[0].id == "de.injunction"
    served = _guide(shipped, TABLE[0])  # the same order served on us
    assert served.other_side == ()
    assert theirs <= {e.id for e in served.cards}
    # The same with a library HQ published before entries said whose they are.
    payload = copy.deepcopy(shipped.as_payload())
    payload["library_version"] += 1
    for entry in payload["entries"]:
        entry.pop("addressed_to", None)
    older = _guide(library.parse_library(payload), order)
    assert theirs <= {e.id for e in older.other_side}
    assert not theirs & {e.id for e in older.cards}


def test_computed_deadlines_count_from_the_recorded_service(shipped: library.Library) -> None:
    by_key = {(r.fair, r.direction, r.trigger): r for r in TABLE}
    letter = _guide(shipped, by_key[("hannover", A, Trigger.WARNING_LETTER)])
    (same_day,) = letter.deadlines
    # The Abmahnung's deadline is the one the letter states: entered, never computed.
    assert same_day.anchor == "in_letter" and same_day.input is None and same_day.due_at is None
    japan = _guide(shipped, by_key[("tokyo", A, Trigger.CUSTOMS_ACTION)])
    (objection,) = japan.deadlines
    assert objection.anchor == "customs_notice"
    assert objection.due_at is not None and objection.due_at.date().isoformat() == "2026-12-09"
    canton = _guide(shipped, by_key[("canton", A, Trigger.PANEL_SUMMONS)])
    (answer,) = canton.deadlines
    assert answer.due_at == NOW + timedelta(hours=24)
    tro = _guide(shipped, by_key[("ces", A, Trigger.COURT_ORDER)])
    fourteen = next(d for d in tro.deadlines if d.spec_id == "us-tro-14-days")
    assert fourteen.due_at is None and fourteen.anchor == "order_issued"


def test_a_situation_the_rules_do_not_cover_says_so_and_falls_back(
    shipped: library.Library,
) -> None:
    r = Row("tokyo", A, Trigger.WARNING_LETTER, "", None, frozenset(), ())
    g = _guide(shipped, r)
    assert g.situation is not None and g.situation.key() == "respondent/warning_letter/JP"
    assert not g.covered
    assert "do not cover" in g.message
    country_cards = {e.id for e in shipped.for_country("JP", kinds=("instrument",))}
    assert country_cards and {e.id for e in g.cards} == country_cards  # as they are, no guess
    assert g.deadlines == () and g.documents == SAFE


def test_our_watch_item_where_the_rules_have_no_row_gets_the_holders_cards_first(
    shipped: library.Library,
) -> None:
    # The UK has no row for the holder's watch: not covered, nothing proposed, and the cards
    # ordered for the holder (as for a copy spotted); the protective letter, the tool of the
    # side an injunction may be against, is not among the holder's procedures at all.
    r = Row("london", B, Trigger.WATCH, "", None, frozenset(), ())
    g = _guide(shipped, r)
    assert g.situation is not None and g.situation.key() == "holder_watch/risk_notice/GB"
    assert not g.covered and g.deadlines == () and g.documents == SAFE
    assert g.level_hint is None and not g.defending
    hannover = Row("hannover", B, Trigger.WATCH, "", None, frozenset(), ())
    g = _guide(shipped, hannover)
    ids = [e.id for e in g.cards]
    assert "de.customs" in ids and "de.protective-letter" not in ids
    assert "de.protective-letter" in {e.id for e in g.other_side}


def test_the_shipped_table_is_sound_against_the_shipped_library(shipped: library.Library) -> None:
    assert check_rules(shipped_rules(), shipped) == []
    assert len(shipped_rules()) >= 30


def test_check_rules_catches_a_bad_row(shipped: library.Library, tmp_path: Path) -> None:
    rules = dict(shipped_rules())
    key = "respondent/ex_parte_order_served/DE"
    rules[key] = replace(
        rules[key],
        cards=("de.injunction", "xx.nothing"),
        documents=("protective_letter", "warning_letter"),
    )
    problems = check_rules(rules, shipped)
    assert any("xx.nothing" in p for p in problems)
    assert any("right-holder form" in p for p in problems)
    assert any("pre-emptive" in p for p in problems)
    ours = "holder_watch/risk_notice/DE"
    rules[ours] = replace(rules[ours], documents=("protective_letter", "hq_notification"))
    assert any(p.startswith(ours) and "protective letter" in p for p in check_rules(rules, shipped))
    our_order = "complainant/our_court_order/DE"
    rules[our_order] = replace(rules[our_order], cards=("de.injunction", "de.widerspruch"))
    assert f"{our_order}: the card de.widerspruch is for the other side" in check_rules(
        rules, shipped
    )
    bad = tmp_path / "rules.csv"
    bad.write_text(
        "situation,cards,deadlines,documents,refs,note_en,note_zh,gap_en,gap_zh\n"
        "respondent/ex_parte_order_served/DE,de.injunction,de-holder-serve-1-month@whenever,,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="line 2"):
        parse_rules(bad)
