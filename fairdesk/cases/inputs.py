"""What callers hand in to record a case and what hangs on it (plain, unchecked dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from fairdesk.i18n import N_
from fairdesk.model import DeadlineRule, Direction, PartyRole, RightKind, Status, Trigger
from fairdesk.validation import LONG_MAX, TITLE_MAX


@dataclass
class PartyInput:
    role: PartyRole
    name: str
    organisation: str = ""
    contact: str = ""
    reference: str = ""  # a court's or authority's file number (Aktenzeichen, 案号)


@dataclass
class RightInput:
    kind: RightKind
    number: str = ""
    office: str = ""
    owner: str = ""
    right_status: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    asserted_by_us: bool = False


@dataclass
class DeadlineInput:
    what: str
    rule: DeadlineRule = DeadlineRule.FIXED
    due_at: datetime | None = None
    hours: int | None = None  # for HOURS_FROM_SERVICE, counted from the case's served_at
    fair_day: date | None = None  # for END_OF_FAIR_DAY
    source: str = ""


@dataclass
class CaseInput:
    title: str
    direction: Direction
    trigger: Trigger
    fair_id: str | None = None
    status: Status = Status.OPEN
    hall: str = ""
    booth: str = ""
    products: str = ""
    summary: str = ""
    served_at: datetime | None = None
    number: str | None = None  # normally generated: <device code>-<sequence>
    parties: list[PartyInput] = field(default_factory=list)
    rights: list[RightInput] = field(default_factory=list)
    deadlines: list[DeadlineInput] = field(default_factory=list)
    note: str = ""


# Fields of a case a user may edit, with their translated labels and limits.
EDITABLE_TEXT = {
    "title": (N_("Title"), TITLE_MAX),
    "hall": (N_("Hall"), 100),
    "booth": (N_("Booth"), 100),
    "products": (N_("Products concerned"), 5_000),
    "summary": (N_("Summary"), LONG_MAX),
}
