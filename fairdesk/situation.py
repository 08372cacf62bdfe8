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
from dataclasses import dataclass

from fairdesk.i18n import N_
from fairdesk.model import Direction, Trigger


class OurRole(enum.StrEnum):
    """Which side of the dispute the exhibitor using FairDesk is on."""

    RESPONDENT = "respondent"  # the papers are against us
    COMPLAINANT = "complainant"  # we act against someone else
    WATCH = "watch"  # nothing is pending against or by us yet


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
    Trigger.COURT_ORDER: Event.COPY_SPOTTED,
    Trigger.SEIZURE: Event.COPY_SPOTTED,
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
    if event is Event.RISK_NOTICE:
        role = OurRole.WATCH
    elif direction is Direction.AGAINST_US:
        role = OurRole.RESPONDENT
    else:
        role = OurRole.COMPLAINANT
    return Situation(role, event, jurisdiction.upper())


ROLE_LABELS: dict[OurRole, str] = {
    OurRole.RESPONDENT: N_("you are the respondent"),
    OurRole.COMPLAINANT: N_("you are the complainant"),
    OurRole.WATCH: N_("nothing is pending against or by you"),
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
}
