"""The red / yellow / blue warning level, computed from what is known about a case.

The three levels come from the policy the product is built on: **red** cases get special
handling, **yellow** cases get one-case-one-strategy guidance, **blue** cases get a risk notice.
The rules, checked in order; the first that matches decides:

R1  red    a court order / injunction, a seizure, or a customs action has happened
R2  red    an open deadline is overdue or falls within the next 24 hours
R3  yellow a complaint, warning letter or fair-panel summons was received (we must answer)
R4  yellow we spotted a copy of our product (we must act before the fair ends)
R5  blue   everything else: risk notices and watch items
R6  yellow instead of blue for a case against us in a country whose courts can act ex parte
           (the country's "floor" from the reference library, fairdesk.knowledge.levels)

A person can override the computed level with a recorded reason (``cases.edit_case`` with
``level`` and ``reason``; ``fairdesk case edit --level``); the computed level keeps being
computed so that the override can be lifted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fairdesk.i18n import N_
from fairdesk.model import Level, Trigger

URGENT_WINDOW = timedelta(hours=24)

_COERCIVE = {Trigger.COURT_ORDER, Trigger.SEIZURE, Trigger.CUSTOMS_ACTION}
_MUST_ANSWER = {Trigger.COMPLAINT, Trigger.WARNING_LETTER, Trigger.PANEL_SUMMONS}

RULE_TEXT: dict[str, str] = {
    "R1": N_("Court order, seizure or customs action"),
    "R2": N_("A deadline is overdue or due within 24 hours"),
    "R3": N_("Complaint, warning letter or panel summons to answer"),
    "R4": N_("Copy of our product spotted: act before the fair ends"),
    "R5": N_("Risk notice or watch item"),
    "R6": N_("Ex-parte court measures are possible in this country: at least yellow"),
}


@dataclass(frozen=True)
class Assessment:
    level: Level
    rule: str  # R1..R6, see RULE_TEXT


def assess(
    trigger: Trigger,
    open_deadlines: Iterable[datetime],
    now: datetime,
    *,
    floor: Level | None = None,
) -> Assessment:
    """Apply the rules above. ``open_deadlines`` are the due instants of deadlines not done;
    ``floor`` is the lowest level the case's country allows (rule R6), if any."""
    if trigger in _COERCIVE:
        return Assessment(Level.RED, "R1")
    if any(due - now <= URGENT_WINDOW for due in open_deadlines):
        return Assessment(Level.RED, "R2")
    if trigger in _MUST_ANSWER:
        result = Assessment(Level.YELLOW, "R3")
    elif trigger is Trigger.COPY_SPOTTED:
        result = Assessment(Level.YELLOW, "R4")
    else:
        result = Assessment(Level.BLUE, "R5")
    if floor is not None and LEVEL_ORDER[floor] < LEVEL_ORDER[result.level]:
        return Assessment(floor, "R6")
    return result


LEVEL_ORDER = {Level.RED: 0, Level.YELLOW: 1, Level.BLUE: 2}
