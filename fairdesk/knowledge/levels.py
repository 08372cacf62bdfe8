"""The country-based level hint: where courts can act ex parte, a case cannot stay blue.

In Germany, the USA, France, Spain or Hong Kong a rights holder can obtain an injunction, TRO
or seizure without hearing the exhibitor first, within hours (the library's sourced instrument entries). A risk notice or
watch item against us there is therefore at least **yellow**. The list of countries comes
from the reference library (instrument entries with ``ex_parte: true``), so an HQ update can
change it. This module imports no case services so that ``fairdesk.cases`` can use it.

``assess_case`` is the one function every path (case services, sync apply, the level refresh,
CLI and GUI alike) uses to level a case: given the case's facts, its open deadlines and the
library **explicitly** — no process-wide library — so the same case has the same level and
rule on every device that holds the same library version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fairdesk import triage
from fairdesk.errors import ValidationError
from fairdesk.i18n import _
from fairdesk.knowledge.library import Library, normalise_country
from fairdesk.model import Case, Direction, Level, Trigger
from fairdesk.situation import (
    UPC,
    CaseFacts,
    Event,
    OurRole,
    Situation,
    facts_of,
    jurisdiction_label,
    read_situation,
)

log = logging.getLogger(__name__)
HINT_RULE = "R6"  # the triage rule id (see fairdesk.triage)
HINT_LEVEL = Level.YELLOW  # the floor it sets


@dataclass(frozen=True)
class LevelHint:
    level: Level
    country: str
    reason: str  # translated sentence
    entries: tuple[str, ...]  # library entries with ex-parte measures


def explain_level_hint(country: str, library: Library) -> LevelHint | None:
    """The minimum level for a case against us in ``country``, with the reason, or None."""
    if not country:
        return None
    code = normalise_country(country)
    ex_parte = library.ex_parte_instruments(code)
    if not ex_parte:
        return None
    names = _("; ").join(e.title.get() for e in ex_parte)
    reason = _(
        "In {country} a court or the police can act ex parte, within hours, without "
        "hearing you first ({measures}): a case there is at least yellow."
    ).format(country=jurisdiction_label(code), measures=names)  # "Germany", not "DE"
    return LevelHint(HINT_LEVEL, code, reason, tuple(e.id for e in ex_parte))


def level_hint(country: str, library: Library) -> Level | None:
    """The level an ex-parte country raises a case to (yellow), or None for other countries.

    What ``explain_level_hint`` says without building its sentence: every levelling asks.
    """
    return HINT_LEVEL if country and library.ex_parte_instruments(country) else None


def is_against_us(situation: Situation, direction: Direction) -> bool:
    """Whether the ex-parte floor (R6) can apply: we are the respondent, or it is a watch item
    against us. The risk R6 names is an order made without hearing us; our own complaint or
    watch item is levelled by R1-R5 alone."""
    return situation.role is OurRole.RESPONDENT or (
        situation.role is OurRole.WATCH and direction is Direction.AGAINST_US
    )


# The trigger whose rule (R1–R5) an event corrected by the user is levelled by.
_EVENT_TRIGGER: dict[Event, Trigger] = {
    Event.EX_PARTE_ORDER_SERVED: Trigger.COURT_ORDER,
    Event.BAILIFF_SEIZURE: Trigger.SEIZURE,
    Event.POLICE_RAID: Trigger.SEIZURE,
    Event.CUSTOMS_DETENTION_OF_OUR_GOODS: Trigger.CUSTOMS_ACTION,
    Event.OUR_CUSTOMS_APPLICATION: Trigger.CUSTOMS_ACTION,
    Event.DESK_COMPLAINT_AGAINST_US: Trigger.COMPLAINT,
    Event.OUR_DESK_COMPLAINT: Trigger.COMPLAINT,
    Event.WARNING_LETTER: Trigger.WARNING_LETTER,
    Event.COPY_SPOTTED: Trigger.COPY_SPOTTED,
    Event.RISK_NOTICE: Trigger.RISK_NOTICE,
    Event.OUR_COURT_ORDER: Trigger.COURT_ORDER,
    Event.OUR_SEIZURE: Trigger.SEIZURE,
}


def assess_case(
    facts: CaseFacts, open_deadlines: Iterable[datetime], now: datetime, library: Library
) -> triage.Assessment:
    """The warning level and rule of a case (see ``fairdesk.triage`` for R1–R6).

    R1–R5 read the recorded trigger, or the event of the user's corrected situation. The R6
    floor applies to a case against us (respondent, or a watch item against us) in a country
    whose courts can act ex parte; for a UPC situation that is the fair's country, where the
    measure would be enforced.
    """
    reading = read_situation(facts)
    situation = reading.situation
    trigger = _EVENT_TRIGGER[situation.event] if reading.corrected else facts.trigger
    floor: Level | None = None
    if is_against_us(situation, facts.direction):
        country = facts.country if situation.jurisdiction in ("", UPC) else situation.jurisdiction
        try:
            floor = level_hint(country, library)
        except (OSError, ValueError, ValidationError):  # a broken library never blocks a save
            log.exception("level hint unavailable")
    return triage.assess(trigger, open_deadlines, now, floor=floor)


def assess_stored_case(case: Case, now: datetime, library: Library) -> triage.Assessment:
    """``assess_case`` for a stored case (its open, not deleted deadlines)."""
    due = [d.due_at for d in case.deadlines if not d.done and d.deleted_at is None]
    return assess_case(facts_of(case), due, now, library)
