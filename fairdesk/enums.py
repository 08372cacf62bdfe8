"""The domain's enumerations and their user-facing labels, without SQLAlchemy.

Split from :mod:`fairdesk.model` (which re-exports them) so the read-only first screen
(:mod:`fairdesk.quickread`) and the widgets that show its rows load without the ORM.
"""

from __future__ import annotations

import enum

from fairdesk.i18n import N_


class Direction(enum.StrEnum):
    AGAINST_US = "against_us"  # we were served
    BY_US = "by_us"  # we found a copy


class Status(enum.StrEnum):
    OPEN = "open"
    RESPONDING = "responding"
    ESCALATED = "escalated"
    SETTLED = "settled"
    CLOSED = "closed"


class Level(enum.StrEnum):
    RED = "red"
    YELLOW = "yellow"
    BLUE = "blue"


class Trigger(enum.StrEnum):
    """What was served or seen: the main fact the warning level is computed from."""

    COURT_ORDER = "court_order"
    SEIZURE = "seizure"
    CUSTOMS_ACTION = "customs_action"
    PANEL_SUMMONS = "panel_summons"
    COMPLAINT = "complaint"
    WARNING_LETTER = "warning_letter"
    COPY_SPOTTED = "copy_spotted"
    RISK_NOTICE = "risk_notice"
    WATCH = "watch"


class PartyRole(enum.StrEnum):
    """Who someone is in the matter. The stored values never change (documents, sync and the
    risk maps read them); labels say what each means in legal terms.

    ``complainant`` is the other side's party that asserts the right (rights holder, applicant
    of the order, complainant at the fair). ``respondent`` is the one the proceeding is against:
    the copier when we act, and may be us when we were served (``us`` names our own company
    explicitly). Officials who only carry out or serve (bailiff, customs, police) are never
    the complainant."""

    COMPLAINANT = "complainant"
    RESPONDENT = "respondent"
    THEIR_COUNSEL = "their_counsel"
    US = "us"
    OUR_COUNSEL = "our_counsel"
    COURT = "court"
    BAILIFF = "bailiff"
    CUSTOMS = "customs"
    POLICE = "police"
    ORGANISER_IP_DESK = "organiser_ip_desk"
    WITNESS = "witness"
    NOTARY = "notary"


class RightKind(enum.StrEnum):
    INVENTION_PATENT = "invention_patent"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"
    TRADEMARK = "trademark"
    COPYRIGHT = "copyright"
    TRADE_DRESS = "trade_dress"


class DeadlineRule(enum.StrEnum):
    FIXED = "fixed"  # a given instant
    HOURS_FROM_SERVICE = "hours_from_service"  # e.g. 24 h after the papers were served
    END_OF_FAIR_DAY = "end_of_fair_day"  # the fair's closing time on a given fair-local date


class OutboxState(enum.StrEnum):
    """Where an outbox entry stands (``outbox.state``; docs/sync.md). Stored: never rename."""

    WAITING = "waiting"  # recorded, not sent yet
    SENDING = "sending"  # in a batch on the way; after a crash simply sent again
    SENT = "sent"  # HQ applied it (or already had it)
    REJECTED = "rejected"  # HQ refused it; the reason is in ``last_error``
    CONFLICT = "conflict"  # HQ recorded a conflict; a person decides


# Entries not yet acknowledged by HQ: the push sends these, the Sync page counts them.
UNSENT_STATES = (OutboxState.WAITING, OutboxState.SENDING)


class TimelineKind(enum.StrEnum):
    """What a case timeline line records (``timeline_event.kind``, synced). Never rename."""

    CREATED = "created"
    STATUS = "status"
    LEVEL = "level"  # the computed level moved (local: every node computes it)
    LEVEL_OVERRIDE = "level_override"
    EDIT = "edit"
    SITUATION = "situation"
    DELETED = "deleted"
    DEADLINE_DONE = "deadline_done"
    DEADLINE_REOPENED = "deadline_reopened"
    PARTY_EDITED = "party_edited"
    PARTY_REMOVED = "party_removed"
    RIGHT_EDITED = "right_edited"
    RIGHT_REMOVED = "right_removed"


# Labels of timeline lines; a kind a newer version wrote shows as stored.
TIMELINE_LABELS: dict[str, str] = {
    TimelineKind.CREATED: N_("Created"),
    TimelineKind.STATUS: N_("Status changed"),
    TimelineKind.LEVEL: N_("Level changed"),
    TimelineKind.LEVEL_OVERRIDE: N_("Level overridden"),
    TimelineKind.EDIT: N_("Edited"),
    TimelineKind.DEADLINE_DONE: N_("Deadline done"),
    TimelineKind.DEADLINE_REOPENED: N_("Deadline reopened"),
    TimelineKind.DELETED: N_("Deleted"),
    TimelineKind.PARTY_EDITED: N_("Party edited"),
    TimelineKind.PARTY_REMOVED: N_("Party removed"),
    TimelineKind.RIGHT_EDITED: N_("Right edited"),
    TimelineKind.RIGHT_REMOVED: N_("Right removed"),
    TimelineKind.SITUATION: N_("Situation corrected"),
}


# Labels shown to users; translated where displayed.
LABELS: dict[str, str] = {
    Direction.AGAINST_US: N_("Against us (we were served)"),
    Direction.BY_US: N_("By us (we found a copy)"),
    Status.OPEN: N_("Open"),
    Status.RESPONDING: N_("Responding"),
    Status.ESCALATED: N_("Escalated"),
    Status.SETTLED: N_("Settled"),
    Status.CLOSED: N_("Closed"),
    Level.RED: N_("Red"),
    Level.YELLOW: N_("Yellow"),
    Level.BLUE: N_("Blue"),
    Trigger.COURT_ORDER: N_("Court order / injunction"),
    Trigger.SEIZURE: N_("Seizure by bailiff or police"),
    Trigger.CUSTOMS_ACTION: N_("Customs action"),
    Trigger.PANEL_SUMMONS: N_("Summons from the fair's IP panel"),
    Trigger.COMPLAINT: N_("Complaint to the fair"),
    Trigger.WARNING_LETTER: N_("Warning letter"),
    Trigger.COPY_SPOTTED: N_("Copy of our product spotted"),
    Trigger.RISK_NOTICE: N_("Risk notice"),
    Trigger.WATCH: N_("Watch item"),
    PartyRole.COMPLAINANT: N_("Rights holder / applicant / complainant"),
    PartyRole.RESPONDENT: N_("Respondent"),
    PartyRole.THEIR_COUNSEL: N_("Their counsel"),
    PartyRole.US: N_("Us (exhibitor)"),
    PartyRole.OUR_COUNSEL: N_("Our counsel"),
    PartyRole.COURT: N_("Court or authority"),
    PartyRole.BAILIFF: N_("Bailiff / court officer"),
    PartyRole.CUSTOMS: N_("Customs officer"),
    PartyRole.POLICE: N_("Police"),
    PartyRole.ORGANISER_IP_DESK: N_("Organiser IP desk"),
    PartyRole.WITNESS: N_("Witness"),
    PartyRole.NOTARY: N_("Notary"),
    RightKind.INVENTION_PATENT: N_("Invention patent"),
    RightKind.UTILITY_MODEL: N_("Utility model"),
    RightKind.DESIGN: N_("Design"),
    RightKind.TRADEMARK: N_("Trademark"),
    RightKind.COPYRIGHT: N_("Copyright"),
    RightKind.TRADE_DRESS: N_("Trade dress"),
    DeadlineRule.FIXED: N_("Fixed time"),
    DeadlineRule.HOURS_FROM_SERVICE: N_("Hours from service"),
    DeadlineRule.END_OF_FAIR_DAY: N_("End of the fair day"),
}
