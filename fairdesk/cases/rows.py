"""What the case services hand back: frozen rows, safe to pass to another thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fairdesk.fairs import FairRow
from fairdesk.model import Level, PartyRole, RightKind
from fairdesk.quickread import CaseRow, DeadlineRow
from fairdesk.situation import SituationReading


@dataclass(frozen=True)
class PartyRow:
    id: str
    role: PartyRole
    name: str
    organisation: str
    contact: str
    reference: str = ""


@dataclass(frozen=True)
class RightRow:
    id: str
    kind: RightKind
    number: str
    office: str
    owner: str
    right_status: str
    valid_from: date | None
    valid_until: date | None
    asserted_by_us: bool


@dataclass(frozen=True)
class NoteRow:
    id: str
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class TimelineRow:
    id: str
    kind: str
    old_value: str
    new_value: str
    reason: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class CaseDetail:
    case: CaseRow
    fair: FairRow | None
    computed_level: Level
    level_rule: str
    level_override: Level | None
    override_reason: str
    hall: str
    booth: str
    products: str
    summary: str
    served_at: datetime | None
    created_at: datetime
    parties: tuple[PartyRow, ...]
    rights: tuple[RightRow, ...]
    deadlines: tuple[DeadlineRow, ...]
    notes: tuple[NoteRow, ...]
    timeline: tuple[TimelineRow, ...]
    # The situation everything downstream follows (computed, or the user's correction).
    situation: SituationReading | None = None
