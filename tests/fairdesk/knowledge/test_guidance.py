"""Guidance for a case at a fair in each seeded country shows the right, sourced facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fairdesk import cases
from fairdesk.cases import CaseInput, FairInput
from fairdesk.knowledge import guidance, library
from fairdesk.knowledge.levels import explain_level_hint, level_hint
from fairdesk.model import DeadlineRule, Direction, Level, Trigger
from fairdesk.store import Store

from .conftest import NOW

FAIRS = {
    "DE": ("Hannover Messe", "Europe/Berlin"),
    "FR": ("Salon Example Paris", "Europe/Paris"),
    "IT": ("EICMA", "Europe/Rome"),
    "ES": ("MWC Barcelona", "Europe/Madrid"),
    "US": ("CES", "America/Los_Angeles"),
    "GB": ("Example Show London", "Europe/London"),
    "HK": ("HKTDC Electronics Fair", "Asia/Hong_Kong"),
    "AE": ("Automechanika Dubai", "Asia/Dubai"),
    "JP": ("Example Expo Tokyo", "Asia/Tokyo"),
    "CN": ("Canton Fair (China Import and Export Fair)", "Asia/Shanghai"),
}


def _guide(
    lib: library.Library,
    country: str,
    trigger: Trigger = Trigger.COMPLAINT,
    served: datetime | None = NOW,
) -> guidance.Guidance:
    name, tz = FAIRS.get(country, ("Unknown Fair", "UTC"))
    return guidance.guidance_for(
        lib,
        country=country,
        fair_name=name,
        trigger=trigger,
        served_at=served,
        fair_time_zone=tz,
        now=NOW,
    )


def _field(g: guidance.Guidance, entry_id: str, name: str) -> str:
    entry = next(e for e in g.cards if e.id == entry_id)
    text = entry.field(name)
    assert text is not None
    return text.en if not text.gap else "GAP"


def _proposal(g: guidance.Guidance, spec_id: str) -> guidance.ProposedDeadline:
    return next(d for d in g.deadlines if d.spec_id == spec_id)


def test_canton_fair_24_hours(shipped: library.Library) -> None:
    g = _guide(shipped, "CN", Trigger.PANEL_SUMMONS)
    assert g.venue is not None and g.venue.id == "venue.canton-fair"
    assert g.cards[0].id == "cn.canton-complaint"
    assert "24 hours" in _field(g, "cn.canton-complaint", "timing")
    answer = _proposal(g, "cn-canton-24h")
    assert answer.input is not None and answer.input.rule is DeadlineRule.HOURS_FROM_SERVICE
    assert answer.input.hours == 24 and answer.due_at == NOW + timedelta(hours=24)
    assert {s.ref for s in answer.sources} == {53, 59}
    # CNIPA art. 14 states the same 24 h rule: one proposal, not two.
    assert sum(1 for d in g.deadlines if d.input and d.input.hours == 24) == 1
    assert g.documents[0] == "panel_response"


def test_france_20_working_or_31_calendar_days(shipped: library.Library) -> None:
    g = _guide(shipped, "FR", Trigger.SEIZURE)
    assert g.cards[0].id == "fr.saisie"
    assert "20 working days or 31 calendar days" in _field(g, "fr.saisie", "timing")
    void = _proposal(g, "fr-saisie-void")
    # Served Wed 25 Nov: 20 working days → Wed 23 Dec; 31 calendar days → Sat 26 Dec (later).
    assert void.due_at is not None and void.due_at.date().isoformat() == "2026-12-26"
    assert void.party == "holder"
    assert {"upc.protective-letter", "upc.provisional-measures"} <= {e.id for e in g.cards}


def test_spain_mwc_48_hours_and_yearly_protocol(shipped: library.Library) -> None:
    g = _guide(shipped, "ES", Trigger.COURT_ORDER)
    assert g.venue is not None and g.venue.id == "venue.mwc-barcelona"
    fast = g.cards[0]
    assert fast.id == "es.fast-action" and "yearly" in fast.flags
    assert "48 h" in _field(g, "es.fast-action", "timing")
    assert "24 h" in _field(g, "es.fast-action", "timing")  # protective letters admitted
    assert "4 Dec 2025" in fast.summary.en
    # The courts' 48 h to decide runs from the holder's application: once the order is
    # served on us it is no deadline of ours, and no protective letter is offered any more.
    assert "es-exparte-48h" not in {d.spec_id for d in g.deadlines}
    assert "protective_letter" not in g.documents
    assert g.gaps  # how to challenge the order: not in the library, said so
    assert fast.is_outdated(datetime(2027, 1, 5).date())


def test_germany_zssr_injunction_and_upc(shipped: library.Library) -> None:
    g = _guide(shipped, "DE", Trigger.WARNING_LETTER)
    ids = [e.id for e in g.cards]
    assert ids[0] == "de.warning-letter"
    assert {"de.injunction", "de.protective-letter", "de.customs", "upc.protective-letter"} <= set(
        ids
    )
    assert "6 months" in _field(g, "de.protective-letter", "timing")
    assert "XJustiz" in _field(g, "de.protective-letter", "who_files")
    assert "€200" in _field(g, "upc.protective-letter", "prefiling")
    # The letter states its own deadline: the user enters it, FairDesk computes none (QA:
    # "due at the fair's closing time that day" was proposed instead).
    same_day = _proposal(g, "de-warning-same-day")
    assert same_day.input is None and same_day.due_at is None
    assert same_day.anchor == "in_letter" and "stated in the letter" in same_day.note
    assert {s.ref for s in same_day.sources} == {8}
    # The Messe Frankfurt desk belongs to Frankfurt fairs, not to Hannover.
    assert "de.organiser" not in ids


def test_usa_tro_and_section_337(shipped: library.Library) -> None:
    g = _guide(shipped, "US", Trigger.COURT_ORDER)
    assert g.cards[0].id == "us.tro"
    assert "14 days" in _field(g, "us.tro", "timing")
    assert "CTA" in _field(g, "us.ces-procedure", "who_files") or any(
        "CTA" in c.name.en for e in g.cards for c in e.contacts
    )
    # A TRO served at the booth: its 14 days run from its issue (a date in the order, not
    # our service), and the ITC's 20 days belong to an ITC complaint, not to this situation.
    tro = _proposal(g, "us-tro-14-days")
    assert tro.input is None and tro.due_at is None and tro.anchor == "order_issued"
    assert "issued" in tro.note
    assert not {"us-itc-20-days", "us-itc-10-days"} & {d.spec_id for d in g.deadlines}
    assert "warning_letter" not in g.documents


def test_italy_uk_hk_uae_japan(shipped: library.Library) -> None:
    italy = _guide(shipped, "IT", Trigger.COURT_ORDER)
    assert italy.cards[0].id == "it.descrizione"
    # Law no. 102/2023 (in force 23 Aug 2023): goods at fairs can be seized, not only described.
    assert "seizure" in _field(italy, "it.descrizione", "consequences")
    assert "does not stop the display" not in _field(italy, "it.descrizione", "consequences")
    assert _field(italy, "it.descrizione", "timing") == "GAP"

    uk = _guide(shipped, "UK")  # the common name is accepted for GB
    assert uk.country == "GB" and uk.has_data
    assert _field(uk, "gb.injunction", "timing") == "GAP"
    assert "costly" in next(e for e in uk.cards if e.id == "gb.injunction").summary.en
    assert "gb.customs" in [e.id for e in uk.cards]

    hk = _guide(shipped, "HK", Trigger.COURT_ORDER)
    ret = _proposal(hk, "hk-return-date")
    assert ret.input is None and "date stated in the order" in ret.note

    uae = _guide(shipped, "AE", Trigger.CUSTOMS_ACTION)
    assert uae.cards[0].id == "ae.customs"
    assert _field(uae, "ae.customs", "timing") == "1 working day."
    # Fees and legalisation are the complainant's: under "who files", not the respondent's.
    assert "AED 5,000" in _field(uae, "ae.customs", "who_files")
    assert _field(uae, "ae.customs", "consequences") == "GAP"
    assert "legalised" not in _field(uae, "ae.customs", "respondent_must")
    # Customs' one working day runs from the holder's complaint: not ours when detained...
    assert uae.deadlines == () and "customs_request" not in uae.documents
    # ...but it is when we file: counted from our filing date, which FairDesk asks for.
    ours = guidance.guidance_for(
        shipped,
        country="AE",
        fair_name="Automechanika Dubai",
        direction=Direction.BY_US,
        trigger=Trigger.CUSTOMS_ACTION,
        served_at=NOW,
        fair_time_zone="Asia/Dubai",
        now=NOW,
    )
    one_day = _proposal(ours, "ae-customs-1wd")
    assert one_day.anchor == "filing" and one_day.due_at is None
    assert "customs_request" in ours.documents

    japan = _guide(shipped, "JP", Trigger.CUSTOMS_ACTION)
    objection = _proposal(japan, "jp-customs-10bd")
    # 10 working days after Wed 25 Nov 2026 is Wed 9 Dec 2026.
    assert objection.due_at is not None and objection.due_at.date().isoformat() == "2026-12-09"
    assert any(e.is_gap for e in japan.cards)  # "no organiser mechanism found" is a gap card


def test_unknown_country_gets_no_data_and_the_general_checklist(shipped: library.Library) -> None:
    g = _guide(shipped, "KR")
    assert not g.has_data and g.cards == () and g.deadlines == ()
    assert "No data for South Korea" in g.message  # the country by name, not its code
    assert "not proof that no procedure exists" in g.message
    assert [c.id for c in g.checklists] == ["checklist.general"]
    assert "hq_notification" in g.documents
    no_fair = guidance.guidance_for(shipped, country="", now=NOW)
    assert not no_fair.has_data and no_fair.checklists[0].id == "checklist.general"


def test_without_time_of_service_deadlines_count_from_now_and_say_so(
    shipped: library.Library,
) -> None:
    g = _guide(shipped, "CN", Trigger.PANEL_SUMMONS, served=None)
    answer = _proposal(g, "cn-canton-24h")
    assert answer.input is not None and answer.input.rule is DeadlineRule.FIXED
    assert answer.due_at == NOW + timedelta(hours=24)
    assert "not recorded" in answer.note


def test_level_hint_for_ex_parte_countries(shipped: library.Library) -> None:
    for country in ("DE", "US", "FR", "ES", "HK"):
        assert level_hint(country, shipped) is Level.YELLOW, country
    for country in ("JP", "IT", "AE", "CN", "GB", "KR"):
        assert level_hint(country, shipped) is None, country
    hint = explain_level_hint("ES", shipped)
    assert hint is not None and "es.fast-action" in hint.entries and "ex parte" in hint.reason
    assert hint.reason.startswith("In Spain a court")  # the country by name, not "In ES"
    from fairdesk.i18n import set_language

    set_language("zh_CN")
    try:
        german = explain_level_hint("DE", shipped)
        assert german is not None and german.reason.startswith("在德国")
        assert "；" in german.reason and "; " not in german.reason  # Chinese punctuation
    finally:
        set_language("en")


def test_guidance_for_a_stored_case_and_adding_a_proposed_deadline(store: Store) -> None:
    now = datetime.now(UTC)
    fair = cases.create_fair(store, FairInput("Canton Fair", "Asia/Shanghai", "Guangzhou", "CN"))
    case_id = cases.create_case(
        store,
        CaseInput(
            "Complaint",
            Direction.AGAINST_US,
            Trigger.PANEL_SUMMONS,
            fair,
            served_at=now - timedelta(hours=1),
        ),
    )
    g = guidance.guidance_for_case(store, case_id)
    proposal = _proposal(g, "cn-canton-24h")
    assert proposal.input is not None
    cases.add_deadline(store, case_id, proposal.input)
    deadline = cases.get_case(store, case_id).deadlines[0]
    assert abs(deadline.due_at - (now + timedelta(hours=23))) < timedelta(seconds=5)
    assert "cn.canton-complaint" in deadline.source and "[53]" in deadline.source


def test_triage_raises_blue_cases_against_us_in_ex_parte_countries(demo_store: Store) -> None:
    rows = {r.title: r for r in cases.list_cases(demo_store)}
    ces = rows["TRO motion expected: wireless earbuds (CES)"]
    assert ces.level is Level.YELLOW
    assert cases.get_case(demo_store, ces.id).level_rule == "R6"
    # Italy has no ex-parte measure in the library: the watch item stays blue.
    assert rows["Trade dress watch: coffee machine colours"].level is Level.BLUE
    # Our own offensive watch items are not raised.
    fair = cases.create_fair(demo_store, FairInput("IFA", "Europe/Berlin", "Berlin", "DE"))
    mine = cases.create_case(demo_store, CaseInput("Watch", Direction.BY_US, Trigger.WATCH, fair))
    assert cases.get_case(demo_store, mine).case.level is Level.BLUE


@pytest.mark.parametrize("country", sorted(FAIRS))
def test_every_card_shown_carries_sources_and_an_as_of_date(
    shipped: library.Library, country: str
) -> None:
    g = _guide(shipped, country)
    assert g.has_data
    for entry in g.cards:
        assert entry.checked in ("2026-11-25", "2026-12-04")
        assert entry.as_of and entry.review_by and entry.review_by > entry.as_of
        assert entry.sources or entry.is_gap


def test_the_message_names_the_country_not_its_code(shipped: library.Library) -> None:
    """ "Procedure cards for DE" read like a code; the situation line says "Germany"/"德国"."""
    from fairdesk.i18n import set_language

    assert _guide(shipped, "DE").message.startswith("Procedure cards for Germany: ")
    set_language("zh_CN")
    try:
        assert _guide(shipped, "DE").message.startswith("德国的程序卡片：")
        assert "中没有韩国的资料" in _guide(shipped, "KR").message
    finally:
        set_language("en")


def test_a_computed_deadline_says_what_it_counts_from_once(shipped: library.Library) -> None:
    """Before: "Counted from when the papers were served on you. Counted from the time of
    service." (and in Chinese "自文书送达您时起算。自送达时起算。")."""
    from fairdesk.i18n import set_language

    try:
        for lang, marks in (("en", "Counted from"), ("zh_CN", "起算")):
            set_language(lang)
            for country, trigger in (
                ("CN", Trigger.COMPLAINT),
                ("FR", Trigger.SEIZURE),  # (the Abmahnung's deadline is the letter's own)
            ):
                g = _guide(shipped, country, trigger)
                assert g.deadlines, (country, trigger)
                for proposal in g.deadlines:
                    assert proposal.note.count(marks) == 1, (lang, proposal.note)
                    assert " 当天" not in proposal.note  # no Latin space inside Chinese
    finally:
        set_language("en")


def _steps(entry: library.Entry) -> str:
    return " | ".join(i.en for i in entry.items)


def test_next_hour_cards_follow_what_happened(shipped: library.Library) -> None:
    """The next-hour cards are per country; their steps and contacts are tagged with the
    events they apply to (QA: a served German injunction was told to file a ZSSR protective
    letter, a CBP detention at CES had the ITC as its first contact)."""
    de = next(e for e in shipped.entries if e.id == "de.next-hour")
    served = guidance.fit_to_event(de, "ex_parte_order_served")
    assert "ZSSR" not in _steps(served) and "Not signing" not in _steps(served)
    assert not any("ZSSR" in c.name.en for c in served.contacts)
    assert "Widerspruch" in _steps(served)
    assert any(c.phone == "+49 30 275880" for c in served.contacts)  # the embassy stays
    letter = guidance.fit_to_event(de, "warning_letter")
    assert "ZSSR" in _steps(letter) and "Widerspruch" not in _steps(letter)
    assert any("ZSSR" in c.name.en for c in letter.contacts)

    us = next(e for e in shipped.entries if e.id == "us.next-hour")
    cbp = guidance.fit_to_event(us, "customs_detention_of_our_goods")
    assert "ITC" not in _steps(cbp) and "TRO" not in _steps(cbp)
    assert "CBP" in _steps(cbp)
    assert [c.phone for c in cbp.contacts] == ["+86 10 12308 / +86 10 65612308"]
    assert "TRO" in _steps(guidance.fit_to_event(us, "ex_parte_order_served"))


def test_pre_fair_checklist_only_for_watch_items(shipped: library.Library) -> None:
    from fairdesk.situation import Event, OurRole, Situation

    def guide(role: OurRole, event: Event) -> guidance.Guidance:
        return guidance.guidance_for(
            shipped,
            country="DE",
            fair_name="Hannover Messe",
            trigger=Trigger.COURT_ORDER,
            fair_time_zone="Europe/Berlin",
            now=NOW,
            situation=Situation(role, event, "DE"),
        )

    assert guide(OurRole.RESPONDENT, Event.EX_PARTE_ORDER_SERVED).checklists == ()
    watch = guide(OurRole.WATCH, Event.RISK_NOTICE)
    assert [c.id for c in watch.checklists] == ["checklist.de", "checklist.general"]


def test_ex_parte_hint_hidden_once_the_case_is_red(store: Store) -> None:
    fair = cases.find_fair(store, "Hannover Messe").id
    red = cases.create_case(
        store, CaseInput("Order", Direction.AGAINST_US, Trigger.COURT_ORDER, fair, served_at=NOW)
    )
    assert cases.get_case(store, red).case.level is Level.RED
    assert guidance.guidance_for_case(store, red, now=NOW).level_hint is None
    watch = cases.create_case(store, CaseInput("Watch", Direction.AGAINST_US, Trigger.WATCH, fair))
    assert cases.get_case(store, watch).level_rule == "R6"  # the hint is why it is yellow
    assert guidance.guidance_for_case(store, watch, now=NOW).level_hint is not None


def test_ex_parte_hint_only_on_cases_against_us(store: Store, shipped: library.Library) -> None:
    """ "At least yellow" is the R6 floor for cases against us; our own watch item or complaint
    in Germany stays blue (R5) and must not be told it is at least yellow."""
    fair = cases.find_fair(store, "Hannover Messe").id
    ours = cases.create_case(store, CaseInput("Copy spotted", Direction.BY_US, Trigger.WATCH, fair))
    assert (cases.get_case(store, ours).case.level, cases.get_case(store, ours).level_rule) == (
        Level.BLUE,
        "R5",
    )
    assert guidance.guidance_for_case(store, ours, now=NOW).level_hint is None
    theirs = cases.create_case(
        store, CaseInput("Rumour", Direction.AGAINST_US, Trigger.RISK_NOTICE, fair)
    )
    assert guidance.guidance_for_case(store, theirs, now=NOW).level_hint is not None
    by_us = guidance.guidance_for(shipped, country="DE", direction=Direction.BY_US, now=NOW)
    assert by_us.level_hint is None
    against = guidance.guidance_for(shipped, country="DE", direction=Direction.AGAINST_US, now=NOW)
    assert against.level_hint is not None and against.level_hint.country == "DE"


def test_our_watch_item_gets_the_holders_guidance_not_the_respondents(store: Store) -> None:
    """A watch item by us (we hold the rights, watching for copies) at a German fair: none of
    the defence a protective letter or a respondent's papers give, which the same trigger
    against us gets."""
    fair = cases.find_fair(store, "Hannover Messe").id
    ours = cases.create_case(
        store, CaseInput("Watch for copies", Direction.BY_US, Trigger.WATCH, fair)
    )
    g = guidance.guidance_for_case(store, ours, now=NOW)
    assert g.situation is not None and g.situation.key() == "holder_watch/risk_notice/DE"
    assert g.covered and not g.defending and g.deadlines == ()
    assert g.cards[0].id == "de.warning-letter"
    defence = {"protective_letter_germany", "protective_letter_upc", "non_infringement"}
    defence |= {"phrase_card_de", "risk_reminder", "widerspruch", "abmahnung_reply"}
    assert not defence & set(g.documents), g.documents
    assert g.documents[:2] == ("evidence_report", "hq_notification")
    assert g.checklists == ()  # the pre-fair lists prepare a defence
    theirs = cases.create_case(
        store, CaseInput("Rumour", Direction.AGAINST_US, Trigger.WATCH, fair)
    )
    t = guidance.guidance_for_case(store, theirs, now=NOW)
    assert t.situation is not None and t.situation.key() == "watch/risk_notice/DE"
    assert t.defending and "protective_letter_germany" in t.documents
    assert {d.spec_id for d in t.deadlines} == {"de-zssr-expiry", "upc-pl-expiry"}


def test_whose_deadline_follows_our_side(shipped: library.Library) -> None:
    """The library names a deadline's party absolutely; "our deadline" depends on our side."""

    def whose(direction: Direction, trigger: Trigger) -> dict[str, str]:
        g = guidance.guidance_for(
            shipped,
            country="DE",
            fair_name="Hannover Messe",
            direction=direction,
            trigger=trigger,
            now=NOW,
        )
        return {d.spec_id: guidance.whose_deadline(d.party, g.defending) for d in g.deadlines}

    # Customs' 10 working days: the holder's. Ours after our application, theirs on our goods.
    assert whose(Direction.BY_US, Trigger.CUSTOMS_ACTION) == {"eu-customs-10wd": "ours"}
    assert whose(Direction.AGAINST_US, Trigger.CUSTOMS_ACTION) == {"eu-customs-10wd": "theirs"}
    # The holder's month to enforce an injunction against us is theirs.
    assert whose(Direction.AGAINST_US, Trigger.COURT_ORDER) == {"de-holder-serve-1-month": "theirs"}
    # A protective letter is filed by the side that fears an injunction: its expiry is ours.
    assert whose(Direction.AGAINST_US, Trigger.RISK_NOTICE) == {
        "de-zssr-expiry": "ours",
        "upc-pl-expiry": "ours",
    }
    assert guidance.whose_deadline("authority", True) == "authority"


def test_protective_letter_expiry_is_the_filers_deadline(shipped: library.Library) -> None:
    """Who files a protective letter is the (possible) respondent: every deadline on a
    protective-letter card is the respondent's, never "the other side's"."""
    letters = [e for e in shipped.entries if e.instrument == "protective_letter"]
    assert letters
    for entry in letters:
        for spec in entry.deadlines:
            assert spec.party == "respondent", (entry.id, spec.id)


def test_our_own_seizure_gets_the_holders_deadline_from_our_papers(
    shipped: library.Library,
) -> None:
    """A saisie-contrefaçon carried out at our request in Paris: the seizure is void unless
    WE sue on the merits in time. Our deadline, counted from the date in the bailiff's report
    (which FairDesk does not have: never computed from the time recorded on the case); on a
    seizure at our booth the same rule is the other side's, counted from the seizure."""

    def guide(direction: Direction) -> guidance.Guidance:
        return guidance.guidance_for(
            shipped,
            country="FR",
            fair_name="Salon Example Paris",
            direction=direction,
            trigger=Trigger.SEIZURE,
            served_at=NOW,
            now=NOW,
        )

    ours = guide(Direction.BY_US)
    assert ours.situation is not None and ours.situation.key() == "complainant/our_seizure/FR"
    (void,) = ours.deadlines
    assert void.spec_id == "fr-saisie-void" and void.anchor == "our_seizure"
    assert guidance.whose_deadline(void.party, ours.defending) == "ours"
    assert void.due_at is None and void.input is None and "bailiff's report" in void.note
    assert "warning_letter" not in ours.documents  # the order is had: no warning letter
    theirs = guide(Direction.AGAINST_US)
    (their_void,) = theirs.deadlines
    assert their_void.anchor == "seizure" and their_void.due_at is not None
    assert guidance.whose_deadline(their_void.party, theirs.defending) == "theirs"
