"""What callers hand in to record or change a case and what hangs on it (plain, unchecked
dataclasses: the services check every field)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, Final

from fairdesk.i18n import N_
from fairdesk.model import DeadlineRule, Direction, Level, PartyRole, RightKind, Status, Trigger
from fairdesk.validation import LONG_MAX, PLACE_MAX, PRODUCTS_MAX, TITLE_MAX


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


class Keep(enum.Enum):
    """The value of a ``CaseEdit`` field that is not being changed."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True)
class CaseEdit:
    """Changes to a case: each field given is checked and saved; one left at ``KEEP`` keeps
    its value. ``None`` means "none": no fair, no time of service, no level override (lifting
    it), no situation correction (back to the computed situation). ``level`` sets the override
    and needs a reason; ``situation`` is a ``fairdesk.situation`` key ("" = computed)."""

    title: str | Keep = KEEP
    hall: str | Keep = KEEP
    booth: str | Keep = KEEP
    products: str | Keep = KEEP
    summary: str | Keep = KEEP
    status: Status | Keep = KEEP
    direction: Direction | Keep = KEEP
    trigger: Trigger | Keep = KEEP
    fair_id: str | Keep | None = KEEP
    served_at: datetime | Keep | None = KEEP
    level: Level | Keep | None = KEEP
    situation: str | Keep | None = KEEP

    def given(self) -> dict[str, Any]:
        """The fields to change, by name."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not KEEP
        }


# Text fields of a case, with their translated labels and limits (creation and edits).
EDITABLE_TEXT = {
    "title": (N_("Title"), TITLE_MAX),
    "hall": (N_("Hall"), PLACE_MAX),
    "booth": (N_("Booth"), PLACE_MAX),
    "products": (N_("Products concerned"), PRODUCTS_MAX),
    "summary": (N_("Summary"), LONG_MAX),
}
