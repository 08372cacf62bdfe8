"""A case's situation: which side we are on, what happened, and whose law applies.

One place decides it, from the case's facts, so that the warning level, the guidance cards,
the proposed deadlines and the documents offered all follow the same reading of the case
("Served: ex-parte injunction, Germany — you are the respondent"). A person can correct it;
the correction is stored on the case and wins over the computed reading.

This module holds the vocabulary and the default reading from the recorded trigger and
direction; callers pass the facts in (no database, no process-wide state).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from fairdesk.i18n import N_, _, current_language
from fairdesk.model import Case, Direction, Trigger


class OurRole(enum.StrEnum):
    """Which side of the dispute the exhibitor using FairDesk is on."""

    RESPONDENT = "respondent"  # the papers are against us
    COMPLAINANT = "complainant"  # we act against someone else
    WATCH = "watch"  # a risk to us: nothing is pending against us yet
    # Our watch item (trigger "watch", by us): we hold the rights and watch for copies. Not a
    # WATCH: a protective letter or a respondent's next-hour card is the other side's tool.
    HOLDER_WATCH = "holder_watch"


class Event(enum.StrEnum):
    """What happened, in the terms a lawyer of the jurisdiction would use."""

    EX_PARTE_ORDER_SERVED = "ex_parte_order_served"  # e.g. einstweilige Verfügung, TRO
    WARNING_LETTER = "warning_letter"  # e.g. Abmahnung, cease-and-desist letter
    CUSTOMS_DETENTION_OF_OUR_GOODS = "customs_detention_of_our_goods"
    OUR_CUSTOMS_APPLICATION = "our_customs_application"
    DESK_COMPLAINT_AGAINST_US = "desk_complaint_against_us"  # fair's IP desk / panel
    OUR_DESK_COMPLAINT = "our_desk_complaint"
    POLICE_RAID = "police_raid"  # criminal route
    BAILIFF_SEIZURE = "bailiff_seizure"  # incl. saisie-contrefaçon, descrizione
    COPY_SPOTTED = "copy_spotted"
    RISK_NOTICE = "risk_notice"
    # Our own enforcement: the holder's deadlines run from here (enforce within a month in
    # Germany, sue on the merits within 20 working / 31 days in France and at the UPC).
    OUR_COURT_ORDER = "our_court_order"  # we obtained an order (injunction, TRO)
    OUR_SEIZURE = "our_seizure"  # a seizure or description carried out at our request


# The jurisdiction is an ISO 3166-1 alpha-2 country code, or this value where the order or
# the right belongs to the Unified Patent Court.
UPC = "UPC"


@dataclass(frozen=True)
class Situation:
    role: OurRole
    event: Event
    jurisdiction: str  # ISO country code, UPC, or "" when unknown

    def key(self) -> str:
        """Stable text key, e.g. ``respondent/ex_parte_order_served/DE`` (rules tables, JSON)."""
        return f"{self.role.value}/{self.event.value}/{self.jurisdiction or '-'}"

    @property
    def side(self) -> str:
        """Our side in the law's terms: "respondent" when the papers are (or may be) against
        us, "holder" when we act on our rights (the library's ``addressed_to`` and parties)."""
        return "respondent" if self.role in (OurRole.RESPONDENT, OurRole.WATCH) else "holder"


# Default reading of the recorded trigger, by direction. A trigger that has no meaning for a
# direction (e.g. "copy spotted" against us) falls back to the closest event for that side.
_AGAINST_US: dict[Trigger, Event] = {
    Trigger.COURT_ORDER: Event.EX_PARTE_ORDER_SERVED,
    Trigger.SEIZURE: Event.BAILIFF_SEIZURE,
    Trigger.CUSTOMS_ACTION: Event.CUSTOMS_DETENTION_OF_OUR_GOODS,
    Trigger.PANEL_SUMMONS: Event.DESK_COMPLAINT_AGAINST_US,
    Trigger.COMPLAINT: Event.DESK_COMPLAINT_AGAINST_US,
    Trigger.WARNING_LETTER: Event.WARNING_LETTER,
    Trigger.COPY_SPOTTED: Event.COPY_SPOTTED,
    Trigger.RISK_NOTICE: Event.RISK_NOTICE,
    Trigger.WATCH: Event.RISK_NOTICE,
}
_BY_US: dict[Trigger, Event] = {
    Trigger.COURT_ORDER: Event.OUR_COURT_ORDER,
    Trigger.SEIZURE: Event.OUR_SEIZURE,
    Trigger.CUSTOMS_ACTION: Event.OUR_CUSTOMS_APPLICATION,
    Trigger.PANEL_SUMMONS: Event.OUR_DESK_COMPLAINT,
    Trigger.COMPLAINT: Event.OUR_DESK_COMPLAINT,
    Trigger.WARNING_LETTER: Event.COPY_SPOTTED,
    Trigger.COPY_SPOTTED: Event.COPY_SPOTTED,
    Trigger.RISK_NOTICE: Event.RISK_NOTICE,
    Trigger.WATCH: Event.RISK_NOTICE,
}


def default_situation(trigger: Trigger, direction: Direction, jurisdiction: str) -> Situation:
    """The situation as read from the recorded trigger and direction alone."""
    event = (_AGAINST_US if direction is Direction.AGAINST_US else _BY_US)[trigger]
    if trigger is Trigger.WATCH and direction is Direction.BY_US:
        role = OurRole.HOLDER_WATCH  # our rights, watched for copies
    elif event is Event.RISK_NOTICE:
        # A risk to us, recorded against us or by us (our own risk reminder to exhibitors).
        role = OurRole.WATCH
    elif direction is Direction.AGAINST_US:
        role = OurRole.RESPONDENT
    else:
        role = OurRole.COMPLAINANT
    return Situation(role, event, jurisdiction.upper())


ROLE_LABELS: dict[OurRole, str] = {
    OurRole.RESPONDENT: N_("you are the respondent"),
    OurRole.COMPLAINANT: N_("you are the complainant"),
    OurRole.WATCH: N_("nothing is pending against you yet"),
    OurRole.HOLDER_WATCH: N_("you hold the rights and are watching for copies"),
}

EVENT_LABELS: dict[Event, str] = {
    Event.EX_PARTE_ORDER_SERVED: N_("Served: ex-parte court order"),
    Event.WARNING_LETTER: N_("Warning letter received"),
    Event.CUSTOMS_DETENTION_OF_OUR_GOODS: N_("Customs detained our goods"),
    Event.OUR_CUSTOMS_APPLICATION: N_("Our customs application"),
    Event.DESK_COMPLAINT_AGAINST_US: N_("Complaint against us at the fair's IP desk"),
    Event.OUR_DESK_COMPLAINT: N_("Our complaint at the fair's IP desk"),
    Event.POLICE_RAID: N_("Police or criminal raid"),
    Event.BAILIFF_SEIZURE: N_("Seizure or description by a bailiff"),
    Event.COPY_SPOTTED: N_("Copy of our product spotted"),
    Event.RISK_NOTICE: N_("Risk notice"),
    Event.OUR_COURT_ORDER: N_("Court order obtained by us"),
    Event.OUR_SEIZURE: N_("Seizure or description at our request"),
}


# ---------------------------------------------------------------------------------------------
# Reading a case's facts


# Court or authority names that put an order in the Unified Patent Court's hands.
_UPC_COURT_NAMES = ("unified patent court", "统一专利法院", "einheitliches patentgericht")
_UPC_WORD = re.compile(r"(?<![a-z0-9])upc(?![a-z0-9])")
# Offices whose right can only be enforced before the UPC (the unitary patent).
_UPC_OFFICES = frozenset({"UPC", "EPUE", "UP"})
# Events that are a court acting: only these move the jurisdiction to the UPC.
_COURT_EVENTS = frozenset({Event.EX_PARTE_ORDER_SERVED, Event.BAILIFF_SEIZURE})
_OUR_COURT_EVENTS = frozenset({Event.OUR_COURT_ORDER, Event.OUR_SEIZURE})


@dataclass(frozen=True)
class CaseFacts:
    """What the situation is read from; built from a stored case by ``facts_of``."""

    trigger: Trigger
    direction: Direction
    country: str  # the fair's country (ISO code) or ""
    court_names: tuple[str, ...] = ()  # names/organisations of court or authority parties
    their_right_offices: tuple[str, ...] = ()  # offices of the rights asserted against us
    correction: str = ""  # the user's correction, a ``Situation.key()``, or ""
    party_roles: tuple[str, ...] = ()  # roles (values) of the parties on the case


@dataclass(frozen=True)
class SituationReading:
    situation: Situation  # the one everything downstream follows
    computed: Situation  # what the facts alone say
    corrected: bool  # True when the user's correction is in force


def _names_upc(name: str) -> bool:
    text = name.strip().lower()
    # "UPC" as a word ("UPC Local Division Munich"), never inside another word ("CUPCO").
    return bool(_UPC_WORD.search(text)) or any(alias in text for alias in _UPC_COURT_NAMES)


def computed_situation(facts: CaseFacts) -> Situation:
    """The situation from the facts: trigger × direction, in the fair's country — or the UPC
    when a court party is the Unified Patent Court, or a unitary patent is asserted against
    us in a court event (the library's UPC entries and their sources). Our own order or
    seizure is the UPC's when its court party is."""
    base = default_situation(facts.trigger, facts.direction, facts.country)
    if (
        base.event is Event.BAILIFF_SEIZURE
        and "police" in facts.party_roles
        and "bailiff" not in facts.party_roles
    ):
        # The seizure was made by the police, not a court's bailiff: the criminal route.
        base = Situation(base.role, Event.POLICE_RAID, base.jurisdiction)
    upc_court = any(_names_upc(n) for n in facts.court_names)
    if base.event in _OUR_COURT_EVENTS and base.role is OurRole.COMPLAINANT:
        # Our own order: the UPC's when the court party is the UPC (its Rule 213 then counts).
        return Situation(base.role, base.event, UPC) if upc_court else base
    if base.event not in _COURT_EVENTS or base.role is not OurRole.RESPONDENT:
        return base
    unitary = any(o.strip().upper() in _UPC_OFFICES for o in facts.their_right_offices)
    return Situation(base.role, base.event, UPC) if upc_court or unitary else base


def parse_key(key: str) -> Situation:
    """A ``Situation.key()`` back into a situation; a ValueError names what is wrong."""
    parts = key.strip().split("/")
    if len(parts) != 3:
        raise ValueError(f"not role/event/jurisdiction: {key!r}")
    role_text, event_text, where = parts
    try:
        role = OurRole(role_text.strip().lower())
    except ValueError:
        raise ValueError(f"unknown role {role_text!r}") from None
    try:
        event = Event(event_text.strip().lower())
    except ValueError:
        raise ValueError(f"unknown event {event_text!r}") from None
    where = where.strip().upper()
    if where == "-":
        where = ""
    if where and where != UPC and not (len(where) == 2 and where.isalpha()):
        raise ValueError(f"unknown jurisdiction {where!r}")
    return Situation(role, event, where)


def read_situation(facts: CaseFacts) -> SituationReading:
    """The situation in force: the user's correction when there is a valid one, else computed.
    A stored correction that no longer parses (a newer peer's vocabulary) is ignored."""
    computed = computed_situation(facts)
    if facts.correction:
        try:
            corrected = parse_key(facts.correction)
        except ValueError:
            return SituationReading(computed, computed, False)
        return SituationReading(corrected, computed, corrected != computed)
    return SituationReading(computed, computed, False)


def facts_of(case: Case) -> CaseFacts:
    """The facts of a stored case (its fair, court/authority parties, rights against us)."""
    return facts_from(
        case.trigger,
        case.direction,
        case.fair.country if case.fair is not None else "",
        [(p.role.value, p.name, p.organisation) for p in case.parties if p.deleted_at is None],
        [(r.office, r.asserted_by_us) for r in case.rights if r.deleted_at is None],
        case.situation_override,
    )


def facts_from(
    trigger: Trigger,
    direction: Direction,
    country: str,
    parties: Sequence[tuple[str, str, str]],
    rights: Sequence[tuple[str, bool]],
    correction: str,
) -> CaseFacts:
    """The facts from a case's columns: ``parties`` are (role value, name, organisation) and
    ``rights`` (office, asserted by us) of its parties and rights that are not deleted.

    ``facts_of`` reads them from ORM objects; the full level refresh from plain rows.
    """
    return CaseFacts(
        trigger=trigger,
        direction=direction,
        country=country or "",
        court_names=tuple(
            f"{name} {organisation}".strip()
            for role, name, organisation in parties
            if role in _AUTHORITY_ROLES
        ),
        their_right_offices=tuple(
            office for office, asserted_by_us in rights if not asserted_by_us and office
        ),
        correction=correction or "",
        party_roles=tuple(role for role, _name, _organisation in parties),
    )


# Party roles (values, so that roles added later by name match too) naming a court/authority.
_AUTHORITY_ROLES = frozenset({"court", "authority", "court_or_authority"})


UPC_LABEL = N_("Unified Patent Court (UPC)")


def jurisdiction_label(code: str, language: str | None = None) -> str:
    """A readable name: "Germany" / "德国", the UPC, or "no country" when unknown."""
    language = language or current_language()
    if not code:
        return _("no country")
    if code == UPC:
        return _(UPC_LABEL)
    try:
        from babel import Locale

        locale = Locale.parse("zh_Hans_CN" if language.startswith("zh") else "en")
        name = locale.territories.get(code)
    except (ValueError, LookupError):  # babel without that locale: the code is still clear
        name = None
    return str(name) if name else code


def describe(situation: Situation, language: str | None = None) -> str:
    """One sentence: "Served: ex-parte court order, Germany — you are the respondent"."""
    return _("{event}, {where} — {role}").format(
        event=_(EVENT_LABELS[situation.event]),
        where=jurisdiction_label(situation.jurisdiction, language),
        role=_(ROLE_LABELS[situation.role]),
    )
