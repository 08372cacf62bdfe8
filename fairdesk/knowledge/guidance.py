"""Guidance for a case: which procedure it faces, proposed deadlines, documents to prepare.

Everything follows the case's situation (``fairdesk.situation``: our role × what happened ×
jurisdiction) through the reviewed rules table (``fairdesk.knowledge.situation_rules``): its
cards come first, then the rest of the country's; only the deadlines its row lists are proposed,
each saying what it counts from and with its sources; only the documents its row lists are
suggested. A situation without a row is said to be not covered: the country's cards are shown
and nothing is proposed beyond the evidence report and the HQ notification. A country the
library does not cover gets "no data" and the general pre-fair checklist, never an empty
"no procedure".

Working days are counted Monday to Friday; public holidays are not in the library, so every
proposal counted in working days says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from fairdesk import cases
from fairdesk.cases import DeadlineInput
from fairdesk.i18n import N_, _
from fairdesk.knowledge.levels import HINT_RULE, LevelHint, explain_level_hint, is_against_us
from fairdesk.knowledge.library import (
    DeadlineSpec,
    Entry,
    Library,
    Source,
    load_active,
    normalise_country,
)
from fairdesk.knowledge.situation_rules import (
    ANCHORS,
    COMPUTED_ANCHORS,
    DOCUMENT_KINDS,
    SituationRule,
    rule_for,
)
from fairdesk.model import DeadlineRule, Direction, Level, Trigger
from fairdesk.situation import OurRole, Situation, default_situation, describe, jurisdiction_label
from fairdesk.store import Store
from fairdesk.timeutil import utcnow, zone

# Which instruments answer which trigger best; the rest of the country's cards follow.
_TRIGGER_INSTRUMENTS: dict[Trigger, tuple[str, ...]] = {
    Trigger.COURT_ORDER: ("court_injunction", "tro", "saisie", "descrizione", "itc_337"),
    Trigger.SEIZURE: ("saisie", "tro", "criminal", "customs", "court_injunction", "descrizione"),
    Trigger.CUSTOMS_ACTION: ("customs",),
    Trigger.PANEL_SUMMONS: ("organiser_panel",),
    Trigger.COMPLAINT: ("organiser_panel", "customs"),
    Trigger.WARNING_LETTER: ("warning_letter", "court_injunction", "tro", "protective_letter"),
    Trigger.COPY_SPOTTED: ("organiser_panel", "customs", "court_injunction", "saisie"),
    Trigger.RISK_NOTICE: ("protective_letter", "court_injunction", "tro"),
    Trigger.WATCH: ("protective_letter", "court_injunction", "tro"),
}
MAX_SOURCE_NOTE = 480
# The heading and the line above the cards only the other side can use (``Guidance.other_side``).
OTHER_SIDE_TITLE = N_("What the other side can do")
OTHER_SIDE_NOTE = N_(
    "Only the other side can use these procedures. They are shown so that you know what to "
    "expect, not as steps for you."
)


@dataclass(frozen=True)
class ProposedDeadline:
    """A deadline the library's rule suggests; ``input`` is None when it cannot be computed
    (a date stated in the order, information only, or counted from a filing date)."""

    spec_id: str
    entry_id: str
    what: str  # translated
    party: str  # respondent (us), holder (the other side), authority
    input: DeadlineInput | None
    due_at: datetime | None
    note: str  # translated: how it was counted, assumptions
    sources: tuple[Source, ...]
    alternative: bool
    anchor: str = "service"  # what it counts from: a key of situation_rules.ANCHORS


@dataclass(frozen=True)
class Guidance:
    country: str
    fair_name: str
    has_data: bool
    venue: Entry | None
    cards: tuple[Entry, ...]  # most relevant first
    deadlines: tuple[ProposedDeadline, ...]
    documents: tuple[str, ...]
    level_hint: LevelHint | None
    checklists: tuple[Entry, ...]  # the country's, then the general one
    past_cases: tuple[Entry, ...]
    institutions: tuple[Entry, ...]
    edition: str
    library_version: int
    message: str  # translated one-line summary (e.g. "no data for XY")
    situation: Situation | None = None  # the situation the guidance follows
    covered: bool = False  # the rules table has a row for it
    note: str = ""  # translated: the row's note (why these cards, deadlines, documents)
    note_sources: tuple[Source, ...] = ()
    gaps: tuple[str, ...] = ()  # translated: what the library does not say here
    time_zone: str = "UTC"  # the fair's zone: proposed deadlines are shown in it
    # We are the side that is or may be served (respondent, or a risk to us): the library's
    # next-hour cards ("served or accused") are written for that side only, and its
    # respondent's deadlines are ours (``whose_deadline``); else the holder's are.
    defending: bool = False
    # The country's cards only the other side can use (a respondent's objection when we are
    # the holder): what they may do, never listed among our own procedures.
    other_side: tuple[Entry, ...] = ()


def whose_deadline(party: str, defending: bool) -> str:
    """Whose deadline it is from our side: "ours", "theirs" or "authority".

    The library names a deadline's party absolutely (the respondent, the rights holder, an
    authority); we are the respondent on a case against us (``Guidance.defending``) and the
    holder on our own. Customs' ten working days after a detention are the other side's on our
    detained goods, and ours after our customs application."""
    if party not in ("respondent", "holder"):
        return "authority"
    return "ours" if (party == "respondent") == defending else "theirs"


def add_business_days(start: date, count: int) -> date:
    """``count`` working days (Mon–Fri) after ``start``."""
    day = start
    added = 0
    while added < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return day


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    for day in range(start.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(start.day, 28))


def match_venue(library: Library, fair_name: str, country: str) -> Entry | None:
    """The venue entry whose alias occurs in the fair's name (longest alias wins)."""
    name = fair_name.lower()
    if not name:
        return None
    best: tuple[int, Entry] | None = None
    for entry in library.entries:
        if entry.kind != "venue" or (country and entry.country != country):
            continue
        for alias in entry.aliases:
            if alias and alias in name and (best is None or len(alias) > best[0]):
                best = (len(alias), entry)
    return best[1] if best else None


def _source_note(entry: Entry, spec: DeadlineSpec, edition: str) -> str:
    refs = ", ".join(f"[{r}]" for r in spec.refs)
    urls = " ".join(s.url for s in entry.sources if s.ref in spec.refs)
    note = f"FairDesk library {edition}, {entry.id} {refs}: {urls}"
    return note[:MAX_SOURCE_NOTE]


def _propose(
    entry: Entry,
    spec: DeadlineSpec,
    *,
    served_at: datetime | None,
    now: datetime,
    fair_tz: str,
    edition: str,
) -> ProposedDeadline:
    what = spec.what.get()
    sources = tuple(s for s in entry.sources if s.ref in spec.refs)
    base = served_at or now
    counted = (
        _("Counted from the time of service.")
        if served_at
        else _(
            "Counted from now, because the time of service is not recorded; record it "
            "for an exact deadline."
        )
    )
    source_note = _source_note(entry, spec, edition)
    local_base = base.astimezone(zone(fair_tz))

    def fixed(due: datetime, note: str) -> ProposedDeadline:
        return ProposedDeadline(
            spec.id,
            entry.id,
            what,
            spec.party,
            DeadlineInput(what, DeadlineRule.FIXED, due_at=due, source=source_note),
            due,
            note,
            sources,
            spec.alternative,
        )

    def local_end_of(day: date) -> datetime:
        # Days counted by a rule end at midnight, fair-local time.
        return datetime.combine(day, time(23, 59), tzinfo=zone(fair_tz))

    if spec.counted_from != "service":
        return ProposedDeadline(
            spec.id,
            entry.id,
            what,
            spec.party,
            None,
            None,
            _("Counted from the filing date: add it when you file."),
            sources,
            spec.alternative,
        )
    if spec.rule == "hours_from_service" and spec.hours:
        due = base + timedelta(hours=spec.hours)
        if served_at is not None:
            data = DeadlineInput(
                what, DeadlineRule.HOURS_FROM_SERVICE, hours=spec.hours, source=source_note
            )
            return ProposedDeadline(
                spec.id, entry.id, what, spec.party, data, due, counted, sources, spec.alternative
            )
        return fixed(due, counted)
    if spec.rule == "calendar_days" and spec.days:
        return fixed(local_end_of(local_base.date() + timedelta(days=spec.days)), counted)
    if spec.rule == "calendar_months" and spec.months:
        return fixed(local_end_of(add_months(local_base.date(), spec.months)), counted)
    if spec.rule == "business_days" and spec.business_days:
        day = add_business_days(local_base.date(), spec.business_days)
        return fixed(
            local_end_of(day),
            counted
            + " "
            + _(
                "Working days counted Monday to Friday; public holidays are not counted in, so "
                "check the local calendar."
            ),
        )
    if spec.rule == "later_of" and spec.days and spec.business_days:
        by_calendar = local_base.date() + timedelta(days=spec.days)
        by_working = add_business_days(local_base.date(), spec.business_days)
        return fixed(
            local_end_of(max(by_calendar, by_working)),
            counted
            + " "
            + _(
                "The later of {working} working days and {calendar} calendar days; public holidays "
                "can make it later."
            ).format(working=spec.business_days, calendar=spec.days),
        )
    if spec.rule == "end_of_service_day":
        data = DeadlineInput(
            what, DeadlineRule.END_OF_FAIR_DAY, fair_day=local_base.date(), source=source_note
        )
        return ProposedDeadline(
            spec.id,
            entry.id,
            what,
            spec.party,
            data,
            None,
            counted + " " + _("Due at the fair's closing time that day."),
            sources,
            spec.alternative,
        )
    if spec.rule == "date_in_order":
        return ProposedDeadline(
            spec.id,
            entry.id,
            what,
            spec.party,
            None,
            None,
            _("Enter the date stated in the order."),
            sources,
            spec.alternative,
        )
    return ProposedDeadline(
        spec.id,
        entry.id,
        what,
        spec.party,
        None,
        None,
        _("For information: no date to compute."),
        sources,
        spec.alternative,
    )


def _relevance(
    entry: Entry, preferred: tuple[str, ...], venue: Entry | None, country: str
) -> tuple[int, int, int, str]:
    # The country's own procedures first, then those that also apply there (UPC),
    # each ordered by how well the instrument answers what happened.
    rank = preferred.index(entry.instrument) if entry.instrument in preferred else len(preferred)
    at_venue = 0 if venue is not None and venue.id in entry.venues else 1
    return (0 if entry.country == country else 1, rank, at_venue, entry.id)


def guidance_for(
    library: Library,
    *,
    country: str,
    fair_name: str = "",
    direction: Direction = Direction.AGAINST_US,
    trigger: Trigger = Trigger.COMPLAINT,
    served_at: datetime | None = None,
    fair_time_zone: str = "UTC",
    now: datetime | None = None,
    situation: Situation | None = None,
) -> Guidance:
    """The guidance for a situation (pure: no database), see ``guidance_for_case``.

    ``situation`` defaults to the reading of ``trigger`` and ``direction`` in ``country``."""
    now = now or utcnow()
    code = normalise_country(country) if country else ""
    if situation is None:
        situation = default_situation(trigger, direction, code)
    rule = rule_for(situation)
    venue = match_venue(library, fair_name, code) if code else None
    general = [e for e in library.entries if e.kind == "checklist" and e.country == "INT"]
    instruments = (
        [
            e
            for e in library.for_country(code, kinds=("instrument",))
            if not e.venues or (venue is not None and venue.id in e.venues)
        ]
        if code
        else []
    )
    # Our own watch item looks for the holder's routes, as a copy spotted does; a watch item
    # against us for the defences (the "watch" triggers prefer the protective letter).
    preferred = _TRIGGER_INSTRUMENTS.get(
        Trigger.COPY_SPOTTED if situation.role is OurRole.HOLDER_WATCH else trigger, ()
    )
    cards = sorted(instruments, key=lambda e: _relevance(e, preferred, venue, code))
    other_side = [e for e in cards if e.addressed_to not in (None, situation.side)]
    cards = [e for e in cards if e not in other_side]
    if rule is not None:
        first = [e for card in rule.cards for e in cards if e.id == card]
        cards = first + [e for e in cards if e not in first]
    # The checklists are pre-fair lists (a protective letter in the ZSSR...): of use before
    # anything happened, misleading once an order is served. Shown for a watch item, or as the
    # general fallback where the library has nothing for the country.
    pre_fair = situation.role is OurRole.WATCH
    checklists = (
        [e for e in library.for_country(code, kinds=("checklist",))] if code and pre_fair else []
    )
    past = [e for e in library.for_country(code, kinds=("case",))] if code else []
    institutions = (
        [e for e in library.for_country(code, kinds=("institution", "policy"))] if code else []
    )
    if direction is Direction.AGAINST_US:
        # Chinese exhibitors abroad can always ask the national guidance centre for help.
        institutions += [
            e
            for e in library.entries
            if e.kind == "institution" and e.country == "CN" and e not in institutions
        ]
    has_data = bool(cards or other_side or venue)
    proposals = (
        _proposals(
            rule, cards, served_at=served_at, now=now, fair_tz=fair_time_zone, library=library
        )
        if rule is not None
        else []
    )
    documents = _documents(rule)
    if not code:
        message = _(
            "The case has no fair with a country: no procedure data. The general checklist applies."
        )
    elif not has_data:
        message = _(
            "No data for {country} in the reference library (edition {edition}). "
            "This is a gap in the library, not proof that no procedure exists; the "
            "general checklist applies."
        ).format(country=jurisdiction_label(code), edition=library.edition)
    else:
        # The country by name ("Germany" / "德国"), as the situation line names it.
        message = _("Procedure cards for {country}: {count}; library edition {edition}.").format(
            count=len(cards), country=jurisdiction_label(code), edition=library.edition
        )
    if rule is None:
        message += " " + _(
            "FairDesk's rules do not cover this situation ({situation}): the country's cards "
            "are shown, and no deadline or document is proposed beyond the evidence report and "
            "the HQ notification. Ask counsel; correct the situation if it is wrong."
        ).format(situation=describe(situation))
    note_sources = _sources(library, rule.note.refs) if rule is not None else ()
    return Guidance(
        country=code,
        fair_name=fair_name,
        has_data=has_data,
        venue=venue,
        cards=tuple(cards),
        deadlines=tuple(proposals),
        documents=documents,
        # "At least yellow" is about cases against us (R6): not shown on our own complaint.
        level_hint=(
            explain_level_hint(code, library)
            if code and is_against_us(situation, direction)
            else None
        ),
        checklists=tuple(checklists + general) if pre_fair or not has_data else (),
        past_cases=tuple(past),
        institutions=tuple(institutions),
        edition=library.edition,
        library_version=library.library_version,
        message=message,
        situation=situation,
        covered=rule is not None,
        note=rule.note.get() if rule is not None and rule.note.en else "",
        note_sources=note_sources,
        gaps=(rule.gap.get(),) if rule is not None and rule.gap is not None else (),
        time_zone=fair_time_zone,
        defending=situation.side == "respondent",
        other_side=tuple(other_side),
    )


def _documents(rule: SituationRule | None) -> tuple[str, ...]:
    # Without a row, only what is right in every situation: record evidence, tell HQ.
    kinds = set(rule.documents) if rule is not None else {"evidence_report", "hq_notification"}
    return tuple(d for d in DOCUMENT_KINDS if d in kinds)


def _sources(library: Library, refs: tuple[int, ...]) -> tuple[Source, ...]:
    found: dict[int, Source] = {}
    for entry in library.entries:
        for source in entry.sources:
            if source.ref in refs and source.ref not in found:
                found[source.ref] = source
    return tuple(found[r] for r in refs if r in found)


def _proposals(
    rule: SituationRule,
    cards: list[Entry],
    *,
    served_at: datetime | None,
    now: datetime,
    fair_tz: str,
    library: Library,
) -> list[ProposedDeadline]:
    """The row's deadlines, from the cards shown (a card of another venue proposes nothing)."""
    specs = {spec.id: (entry, spec) for entry in cards for spec in entry.deadlines}
    proposals: list[ProposedDeadline] = []
    seen: set[tuple[object, ...]] = set()
    for ref in rule.deadlines:
        if ref.spec_id not in specs:
            continue
        entry, spec = specs[ref.spec_id]
        # Two cards stating the same rule (Canton station and CNIPA art. 14: 24 h) give one
        # proposal, the more specific card's (listed first in the row).
        # Same country only: the ZSSR and the UPC registers are two protective letters.
        key = (
            entry.country,
            spec.rule,
            spec.party,
            spec.hours,
            spec.days,
            spec.months,
            spec.business_days,
        )
        if key in seen:
            continue
        seen.add(key)
        anchor = _(ANCHORS[ref.anchor])
        if ref.anchor in COMPUTED_ANCHORS and spec.counted_from == "service":
            proposed = _propose(
                entry, spec, served_at=served_at, now=now, fair_tz=fair_tz, edition=library.edition
            )
            # The anchor already says what it counts from; "Counted from the time of
            # service." after it said it twice ("…served on you. Counted from … service.").
            then = proposed.note
            said = _("Counted from the time of service.")
            if then.startswith(said):
                then = then[len(said) :].lstrip()
            proposals.append(
                dataclasses.replace(
                    proposed,
                    note=_("{first}. {then}")
                    .format(first=anchor[:1].upper() + anchor[1:], then=then)
                    .rstrip(),
                    anchor=ref.anchor,
                )
            )
            continue
        if ref.anchor == "none":
            note = _("For information: no date to compute.")
        elif spec.rule == "info":
            note = _("{first}. {then}").format(
                first=anchor[:1].upper() + anchor[1:],
                then=_("For information: no date to compute."),
            )
        elif ref.anchor == "in_order":
            note = _("Enter the date stated in the order.")
        elif ref.anchor == "in_letter":
            note = _("Enter the deadline stated in the letter.")
        else:
            note = _("{anchor}: FairDesk does not know that date; add it from the papers.").format(
                anchor=anchor[:1].upper() + anchor[1:]
            )
        proposals.append(
            ProposedDeadline(
                spec.id,
                entry.id,
                spec.what.get(),
                spec.party,
                None,
                None,
                note,
                tuple(s for s in entry.sources if s.ref in spec.refs),
                spec.alternative,
                ref.anchor,
            )
        )
    return proposals


def guidance_for_case(
    store: Store, case_id: str, *, now: datetime | None = None, library: Library | None = None
) -> Guidance:
    """The guidance for a recorded case, from the active library on this device."""
    detail = cases.get_case(store, case_id)
    library = library or load_active(store)
    fair = detail.fair
    situation = detail.situation.situation if detail.situation is not None else None
    found = guidance_for(
        library,
        country=fair.country if fair else "",
        fair_name=fair.name if fair else "",
        direction=detail.case.direction,
        trigger=detail.case.trigger,
        served_at=detail.served_at,
        fair_time_zone=fair.time_zone if fair else "UTC",
        now=now,
        situation=situation,
    )
    hint = found.level_hint
    if (
        hint is not None
        and _RANK[detail.case.level] >= _RANK[hint.level]
        and detail.level_rule != HINT_RULE
    ):
        # "At least yellow" says nothing on a case a stronger rule already made yellow or red;
        # it stays where it is the reason for the level (R6) or the level is overridden below.
        hint = None
    return replace(
        found,
        documents=_fitting_documents(store, case_id, found.documents),
        level_hint=hint,
    )


_RANK = {Level.BLUE: 0, Level.YELLOW: 1, Level.RED: 2}


def fit_to_event(entry: Entry, event: str) -> Entry:
    """A next-hour card with only the steps and contacts for ``event`` (the situation's what
    happened): a step or contact tagged with events applies to those only; untagged ones
    (photograph everything, the consular hotline) to every event."""
    items = tuple(i for i in entry.items if not i.events or event in i.events)
    contacts = tuple(c for c in entry.contacts if not c.events or event in c.events)
    # The card's source list then names only what the remaining steps and contacts cite.
    cited = {r for text in (entry.summary, *items) for r in text.refs}
    cited |= {r for _name, text in entry.fields for r in text.refs}
    cited |= {r for c in contacts for r in c.refs}
    sources = tuple(s for s in entry.sources if s.ref in cited)
    return replace(entry, items=items, contacts=contacts, sources=sources)


def _fitting_documents(store: Store, case_id: str, suggested: tuple[str, ...]) -> tuple[str, ...]:
    """Only kinds that fit the case: the library's suggestions first, then the other fitting
    kinds. A group name in the library ("protective_letter") stands for its member kinds."""
    from fairdesk.documents import service as documents  # the core may import the core

    fitting = list(documents.kinds_for_case(store, case_id))
    groups = {kind: documents.kind_group(kind, store) for kind in fitting}
    ordered = [k for name in suggested for k in fitting if name in (k, groups[k])]
    return tuple(dict.fromkeys([*ordered, *fitting]))
