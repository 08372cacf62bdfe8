"""Case services: record, edit and find cases and what hangs on them.

Widgets and the command line call these functions; they never build queries themselves.
Every edit runs in one transaction that also writes the outbox entries (docs/sync.md) and the
search index, recomputes the warning level, and appends timeline events. Results are frozen
dataclasses, safe to hand to another thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Select, func, literal_column, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from fairdesk import events, outbox, rights, search, triage
from fairdesk.deadlines import resolve_due
from fairdesk.errors import NotFoundError, ValidationError
from fairdesk.fairs import FairInput as FairInput  # re-exported: callers use cases.FairInput
from fairdesk.fairs import FairRow as FairRow
from fairdesk.fairs import create_fair as create_fair
from fairdesk.fairs import edit_fair as edit_fair
from fairdesk.fairs import fair_row
from fairdesk.fairs import find_fair as find_fair
from fairdesk.fairs import get_fair as get_fair
from fairdesk.fairs import list_fairs as list_fairs
from fairdesk.i18n import N_, _
from fairdesk.ids import new_id
from fairdesk.model import (
    LABELS,
    Case,
    Deadline,
    DeadlineRule,
    Device,
    Direction,
    Fair,
    IpRight,
    Level,
    Note,
    Party,
    PartyRole,
    RightKind,
    Status,
    TimelineEvent,
    Trigger,
)
from fairdesk.quickread import SORT_COLUMNS as SORT_COLUMNS
from fairdesk.quickread import CaseFilter as CaseFilter
from fairdesk.quickread import CaseRow as CaseRow
from fairdesk.quickread import DeadlineRow as DeadlineRow
from fairdesk.situation import SituationReading, facts_of, read_situation
from fairdesk.store import Store
from fairdesk.timeutil import format_local, utcnow, zone
from fairdesk.validation import LONG_MAX, TITLE_MAX, clean_text

if TYPE_CHECKING:
    from fairdesk.knowledge.library import Library

# ---------------------------------------------------------------------------------------------
# Inputs


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


# ---------------------------------------------------------------------------------------------
# Outputs


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


# ---------------------------------------------------------------------------------------------
# Helpers


def _author(session: Session) -> tuple[str, str]:
    device = session.scalars(select(Device)).one()
    return device.id, device.user_name


def _timeline(
    session: Session,
    case: Case,
    kind: str,
    old: str = "",
    new: str = "",
    reason: str = "",
    *,
    sync: bool = True,
) -> None:
    device_id, author = _author(session)
    event = TimelineEvent(
        id=new_id(),
        case_id=case.id,
        kind=kind,
        old_value=old,
        new_value=new,
        reason=reason,
        author=author,
        device_id=device_id,
        created_at=utcnow(),
    )
    session.add(event)
    if sync:
        outbox.record(
            session,
            entity="timeline_event",
            entity_id=event.id,
            op="insert",
            case_id=case.id,
            changes={
                "case_id": case.id,
                "kind": kind,
                "old_value": old,
                "new_value": new,
                "reason": reason,
                "author": author,
                "device_id": device_id,
                "created_at": event.created_at,
            },
        )


def _row_changes(obj: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


_CASE_FIELDS = (
    "number",
    "title",
    "direction",
    "trigger",
    "status",
    "fair_id",
    "hall",
    "booth",
    "products",
    "summary",
    "served_at",
    "level_override",
    "override_reason",
    "situation_override",
)
_PARTY_FIELDS = ("case_id", "role", "name", "organisation", "contact", "reference")
_RIGHT_FIELDS = (
    "case_id",
    "kind",
    "number",
    "office",
    "owner",
    "right_status",
    "valid_from",
    "valid_until",
    "asserted_by_us",
)
_DEADLINE_FIELDS = ("case_id", "what", "due_at", "rule", "rule_hours", "source", "done")


def _library(store: Store) -> Library:
    """The reference library in use in this data folder, handed on explicitly to levelling."""
    # Imported here, not at module load: the reference library costs ~200 ms to import and
    # only re-levelling needs it (off the GUI thread), not listing or searching cases.
    from fairdesk.knowledge.library import load_active

    return load_active(store)


def _relevel(
    session: Session, case: Case, now: datetime, library: Library, *, quiet: bool = False
) -> None:
    """Recompute the level from the rules; record a timeline event when it changes."""
    from fairdesk.knowledge.levels import assess_stored_case

    assessment = assess_stored_case(case, now, library)
    case.computed_level = assessment.level
    case.level_reason = assessment.rule
    effective = case.level_override or assessment.level
    old = case.level
    case.level = effective
    if old is not None and old != effective and not quiet:
        why = triage.RULE_TEXT[assessment.rule]
        # Derived from shared facts, so every node computes it: kept local, not synced.
        _timeline(session, case, "level", old.value, effective.value, why, sync=False)


def _get_case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.deleted_at is not None:
        raise NotFoundError(_("No case with id {id}.").format(id=case_id))
    return case


def _find_case(session: Session, id_or_number: str) -> Case:
    case = session.get(Case, id_or_number)
    if case is None:
        case = session.scalars(select(Case).where(Case.number == id_or_number)).first()
    if case is None or case.deleted_at is not None:
        raise NotFoundError(_("No case with id or number {id}.").format(id=id_or_number))
    return case


def _check_situation(value: object) -> str:
    """A situation correction as stored: a valid key, or "" to use the computed situation."""
    from fairdesk.situation import parse_key

    if value is None or str(value).strip().lower() in ("", "auto", "computed"):
        return ""
    try:
        return parse_key(str(value)).key()
    except ValueError as exc:
        raise ValidationError(
            _(
                "Not a situation FairDesk knows: {value} ({problem}). Write it as "
                "role/event/country, e.g. respondent/ex_parte_order_served/DE."
            ).format(value=value, problem=exc)
        ) from exc


def _check_party(p: PartyInput) -> PartyInput:
    try:
        role = PartyRole(p.role)
    except ValueError as exc:
        raise ValidationError(
            _("Unknown role {role}; use one of: {roles}").format(
                role=p.role, roles=", ".join(r.value for r in PartyRole)
            )
        ) from exc
    if not (p.name or "").strip():
        raise ValidationError(
            _("Give a name for the {role} (a person, company, court or office).").format(
                role=_(LABELS[role]).lower()
            )
        )
    return PartyInput(
        role=role,
        name=clean_text(_("Party name"), p.name, required=True),
        organisation=clean_text(_("Organisation"), p.organisation),
        contact=clean_text(_("Contact"), p.contact, max_len=2_000, multiline=True),
        reference=rights.check_file_number(p.reference),
    )


def _check_right(r: RightInput) -> RightInput:
    if r.valid_from and r.valid_until and r.valid_until < r.valid_from:
        raise ValidationError(_("A right cannot expire before it starts."))
    try:
        kind = RightKind(r.kind)
    except ValueError as exc:
        raise ValidationError(
            _("Unknown right kind {kind}; use one of: {kinds}").format(
                kind=r.kind, kinds=", ".join(k.value for k in RightKind)
            )
        ) from exc
    return RightInput(
        kind=kind,
        number=clean_text(_("Right number"), r.number, max_len=100),
        office=clean_text(_("Country or office"), r.office, max_len=100),
        owner=clean_text(_("Owner"), r.owner),
        right_status=clean_text(_("Right status"), r.right_status, max_len=100),
        valid_from=r.valid_from,
        valid_until=r.valid_until,
        asserted_by_us=bool(r.asserted_by_us),
    )


def right_warning(data: RightInput) -> str:
    """A sentence when the right's number does not match its office's format ("" if it does).

    Shown, never enforced: the right is saved as typed."""
    return rights.number_warning(RightKind(data.kind), data.office, data.number)


def _resolve_deadline(
    d: DeadlineInput, case: Case, fair: Fair | None, now: datetime, *, allow_past: bool
) -> tuple[str, datetime]:
    what = clean_text(_("Deadline"), d.what, required=True, max_len=500)
    due = resolve_due(
        DeadlineRule(d.rule),
        due_at=d.due_at,
        served_at=case.served_at,
        hours=d.hours,
        fair_day=d.fair_day,
        fair_time_zone=fair.time_zone if fair else "UTC",
        closing_time=fair.closing_time if fair else "",  # no fair: no closing time to guess
    )
    if not allow_past and due < now - timedelta(minutes=1):
        raise ValidationError(
            _(
                "The deadline {when} is already in the past. Check the date, or record it as "
                "already passed from the case page."
            ).format(when=format_local(due, fair.time_zone if fair else "UTC"))
        )
    if due > now + timedelta(days=3 * 365):
        raise ValidationError(_("The deadline is more than three years away; check the date."))
    return what, due


def _add_deadline(
    session: Session, case: Case, d: DeadlineInput, now: datetime, *, allow_past: bool
) -> Deadline:
    what, due = _resolve_deadline(d, case, case.fair, now, allow_past=allow_past)
    deadline = Deadline(
        id=new_id(),
        case_id=case.id,
        what=what,
        due_at=due,
        rule=DeadlineRule(d.rule),
        rule_hours=d.hours,
        source=clean_text(_("Source"), d.source, max_len=500),
        done=False,
        created_at=now,
        updated_at=now,
    )
    session.add(deadline)
    case.deadlines.append(deadline)
    outbox.record(
        session,
        entity="deadline",
        entity_id=deadline.id,
        op="insert",
        case_id=case.id,
        changes=_row_changes(deadline, _DEADLINE_FIELDS),
    )
    return deadline


def _add_party(session: Session, case: Case, p: PartyInput, now: datetime) -> Party:
    p = _check_party(p)
    party = Party(
        id=new_id(),
        case_id=case.id,
        role=p.role,
        name=p.name,
        organisation=p.organisation,
        contact=p.contact,
        reference=p.reference,
        created_at=now,
        updated_at=now,
    )
    session.add(party)
    case.parties.append(party)
    outbox.record(
        session,
        entity="party",
        entity_id=party.id,
        op="insert",
        case_id=case.id,
        changes=_row_changes(party, _PARTY_FIELDS),
    )
    return party


def _add_right(session: Session, case: Case, r: RightInput, now: datetime) -> IpRight:
    r = _check_right(r)
    right = IpRight(
        id=new_id(),
        case_id=case.id,
        kind=r.kind,
        number=r.number,
        office=r.office,
        owner=r.owner,
        right_status=r.right_status,
        valid_from=r.valid_from,
        valid_until=r.valid_until,
        asserted_by_us=r.asserted_by_us,
        created_at=now,
        updated_at=now,
    )
    session.add(right)
    case.rights.append(right)
    outbox.record(
        session,
        entity="ip_right",
        entity_id=right.id,
        op="insert",
        case_id=case.id,
        changes=_row_changes(right, _RIGHT_FIELDS),
    )
    return right


def _add_note(session: Session, case: Case, text_value: str, now: datetime) -> Note:
    body = clean_text(_("Note"), text_value, required=True, max_len=LONG_MAX, multiline=True)
    device_id, author = _author(session)
    note = Note(
        id=new_id(), case_id=case.id, text=body, author=author, device_id=device_id, created_at=now
    )
    session.add(note)
    case.notes.append(note)
    outbox.record(
        session,
        entity="note",
        entity_id=note.id,
        op="insert",
        case_id=case.id,
        changes={
            "case_id": case.id,
            "text": body,
            "author": author,
            "device_id": device_id,
            "created_at": now,
        },
    )
    return note


def _next_number(session: Session) -> str:
    device = session.scalars(select(Device)).one()
    while True:
        number = f"{device.short_code}-{device.next_case_seq:04d}"
        device.next_case_seq += 1
        if session.scalars(select(Case.id).where(Case.number == number)).first() is None:
            return number


# ---------------------------------------------------------------------------------------------
# Cases: create and edit


def create_case(store: Store, data: CaseInput, *, now: datetime | None = None) -> str:
    """Record a new case with its first parties, rights, deadlines and note, in one step."""
    now = now or utcnow()
    library = _library(store)
    title = clean_text(_("Title"), data.title, required=True, max_len=TITLE_MAX)
    parties = [_check_party(p) for p in data.parties]
    rights = [_check_right(r) for r in data.rights]
    if data.served_at and data.served_at > now + timedelta(minutes=5):
        raise ValidationError(_("The time of service is in the future; check the date."))
    with store.write() as session:
        fair = session.get(Fair, data.fair_id) if data.fair_id else None
        if data.fair_id and fair is None:
            raise NotFoundError(_("No fair with id {id}.").format(id=data.fair_id))
        if data.number:
            number = clean_text(_("Case number"), data.number, max_len=40, required=True)
            if session.scalars(select(Case.id).where(Case.number == number)).first():
                raise ValidationError(
                    _("Case number {number} is already used by another case.").format(number=number)
                )
        else:
            number = _next_number(session)
        case = Case(
            id=new_id(),
            number=number,
            title=title,
            direction=Direction(data.direction),
            trigger=Trigger(data.trigger),
            status=Status(data.status),
            fair_id=data.fair_id,
            hall=clean_text(_("Hall"), data.hall, max_len=100),
            booth=clean_text(_("Booth"), data.booth, max_len=100),
            products=clean_text(
                _("Products concerned"), data.products, max_len=5_000, multiline=True
            ),
            summary=clean_text(_("Summary"), data.summary, max_len=LONG_MAX, multiline=True),
            served_at=data.served_at,
            created_at=now,
            updated_at=now,
            level=Level.BLUE,
            computed_level=Level.BLUE,
        )
        case.fair = fair
        session.add(case)
        outbox.record(
            session,
            entity="case",
            entity_id=case.id,
            op="insert",
            case_id=case.id,
            changes=_row_changes(case, _CASE_FIELDS),
        )
        for p in parties:
            _add_party(session, case, p, now)
        for r in rights:
            _add_right(session, case, r, now)
        for d in data.deadlines:
            _add_deadline(session, case, d, now, allow_past=False)
        if data.note.strip():
            _add_note(session, case, data.note, now)
        _relevel(session, case, now, library, quiet=True)  # the first assessment is not a "change"
        _timeline(
            session, case, "created", "", case.level.value, triage.RULE_TEXT[case.level_reason]
        )
        session.flush()
        search.reindex_case(session, case)
        try:
            session.flush()
        except IntegrityError as exc:
            raise ValidationError(
                _("Case number {number} is already used by another case.").format(number=number)
            ) from exc
        case_id = case.id
    events.emit(events.Change.CASE, case_id)
    return case_id


def edit_case(
    store: Store,
    case_id: str,
    changes: dict[str, Any],
    *,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """Change fields of a case. ``level`` (an override, or None to lift it) needs ``reason``.

    Accepted keys: title, hall, booth, products, summary, status, direction, trigger, fair_id,
    served_at, level, situation (a ``fairdesk.situation`` key correcting the computed
    situation, or "" / None to go back to the computed one).
    """
    now = now or utcnow()
    allowed = set(EDITABLE_TEXT) | {
        "status",
        "direction",
        "trigger",
        "fair_id",
        "served_at",
        "level",
        "situation",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            _("These fields cannot be edited: {names}").format(names=", ".join(sorted(unknown)))
        )
    situation_key = _check_situation(changes["situation"]) if "situation" in changes else None
    library = _library(store)
    with store.write() as session:
        case = _find_case(session, case_id)
        changed: dict[str, Any] = {}
        if situation_key is not None and situation_key != case.situation_override:
            changed["situation_override"] = situation_key
        for name, (label, limit) in EDITABLE_TEXT.items():
            if name in changes:
                value = clean_text(
                    _(label),
                    changes[name],
                    max_len=limit,
                    required=name == "title",
                    multiline=name in ("summary", "products"),
                )
                if value != getattr(case, name):
                    changed[name] = value
        for name, enum_cls in (("status", Status), ("direction", Direction), ("trigger", Trigger)):
            if name in changes and changes[name] is not None:
                try:
                    value = enum_cls(changes[name])
                except ValueError as exc:
                    raise ValidationError(
                        _("Unknown {field}: {value}").format(field=name, value=changes[name])
                    ) from exc
                if value != getattr(case, name):
                    changed[name] = value
        if "fair_id" in changes and changes["fair_id"] != case.fair_id:
            if changes["fair_id"] and session.get(Fair, changes["fair_id"]) is None:
                raise NotFoundError(_("No fair with id {id}.").format(id=changes["fair_id"]))
            changed["fair_id"] = changes["fair_id"]
        if "served_at" in changes and changes["served_at"] != case.served_at:
            changed["served_at"] = changes["served_at"]
        override_changed = False
        if "level" in changes:
            new_override = Level(changes["level"]) if changes["level"] else None
            if new_override != case.level_override:
                why = clean_text(_("Reason"), reason, max_len=2_000, multiline=True)
                if not why:
                    raise ValidationError(_("Changing the warning level by hand needs a reason."))
                changed["level_override"] = new_override
                changed["override_reason"] = why
                override_changed = True
        if not changed:
            return
        old_status = case.status
        base_version = case.version
        for name, value in changed.items():
            setattr(case, name, value)
        if "fair_id" in changed:
            case.fair = session.get(Fair, case.fair_id) if case.fair_id else None
        case.updated_at = now
        outbox.record(
            session,
            entity="case",
            entity_id=case.id,
            op="update",
            case_id=case.id,
            base_version=base_version,
            changes=changed,
        )
        if "status" in changed:
            _timeline(session, case, "status", old_status.value, case.status.value, reason)
        if "situation_override" in changed:
            _timeline(session, case, "situation", "", situation_key or "computed", reason)
        if override_changed:
            old_level = case.level
            _relevel(session, case, now, library, quiet=True)
            _timeline(
                session,
                case,
                "level_override",
                old_level.value,
                (case.level_override or case.computed_level).value,
                case.override_reason,
            )
        else:
            _relevel(session, case, now, library)
        edited = sorted(
            set(changed) - {"status", "level_override", "override_reason", "situation_override"}
        )
        if edited:
            _timeline(session, case, "edit", "", ", ".join(edited), reason)
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)


def delete_case(store: Store, case_id: str, *, reason: str) -> None:
    """Tombstone a case (kept on disk and synced as a delete; never erased)."""
    why = clean_text(_("Reason"), reason, required=True, max_len=2_000, multiline=True)
    now = utcnow()
    with store.write() as session:
        case = _find_case(session, case_id)
        case.deleted_at = now
        outbox.record(
            session,
            entity="case",
            entity_id=case.id,
            op="delete",
            case_id=case.id,
            base_version=case.version,
            changes={"reason": why},
        )
        _timeline(session, case, "deleted", "", "", why)
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)


def add_party(store: Store, case_id: str, data: PartyInput) -> str:
    now = utcnow()
    library = _library(store)
    with store.write() as session:
        case = _find_case(session, case_id)
        party_id = _add_party(session, case, data, now).id
        session.flush()
        session.refresh(case, ["parties"])
        _relevel(session, case, now, library)  # a court party can move the situation (UPC)
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)
    return party_id


def add_right(store: Store, case_id: str, data: RightInput) -> str:
    now = utcnow()
    library = _library(store)
    with store.write() as session:
        case = _find_case(session, case_id)
        right_id = _add_right(session, case, data, now).id
        session.flush()
        session.refresh(case, ["rights"])
        _relevel(session, case, now, library)  # a unitary patent can move the situation (UPC)
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)
    return right_id


def _live_row(session: Session, cls: type[Party] | type[IpRight], row_id: str) -> Any:
    row: Party | IpRight | None = (
        session.get(Party, row_id) if cls is Party else session.get(IpRight, row_id)
    )
    if row is None or row.deleted_at is not None or row.case.deleted_at is not None:
        what = _("party") if cls is Party else _("right")
        raise NotFoundError(_("No {what} with id {id}.").format(what=what, id=row_id))
    return row


def _update_row(
    session: Session,
    row: Party | IpRight,
    entity: str,
    cleaned: dict[str, Any],
    now: datetime,
) -> list[str]:
    """Set the changed fields and record them as one field-level outbox update."""
    changed = {k: v for k, v in cleaned.items() if getattr(row, k) != v}
    if not changed:
        return []
    base_version = row.version
    for name, value in changed.items():
        setattr(row, name, value)
    row.updated_at = now
    outbox.record(
        session,
        entity=entity,
        entity_id=row.id,
        op="update",
        case_id=row.case_id,
        base_version=base_version,
        changes=changed,
    )
    return sorted(changed)


def _remove_row(
    session: Session, row: Party | IpRight, entity: str, reason: str, now: datetime
) -> None:
    row.deleted_at = now
    row.updated_at = now
    outbox.record(
        session,
        entity=entity,
        entity_id=row.id,
        op="delete",
        case_id=row.case_id,
        base_version=row.version,
        changes={"reason": reason} if reason else {},
    )


def edit_party(store: Store, party_id: str, changes: dict[str, Any]) -> None:
    """Change a party's role, name, organisation, contact or file number (all checked first)."""
    allowed = {"role", "name", "organisation", "contact", "reference"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            _("These fields cannot be edited: {names}").format(names=", ".join(sorted(unknown)))
        )
    now = utcnow()
    with store.write() as session:
        party = _live_row(session, Party, party_id)
        current = PartyInput(
            party.role, party.name, party.organisation, party.contact, party.reference
        )
        merged = _check_party(PartyInput(**{**vars(current), **changes}))
        edited = _update_row(session, party, "party", vars(merged), now)
        case = party.case
        if edited:
            _timeline(session, case, "party_edited", "", f"{party.name}: {', '.join(edited)}")
            search.reindex_case(session, case)
        case_id = case.id
    events.emit(events.Change.CASE, case_id)


def remove_party(store: Store, party_id: str, *, reason: str = "") -> None:
    """Tombstone a party (synced as a delete; an edit elsewhere meets it as a conflict)."""
    _remove_case_row(store, Party, "party", party_id, reason, lambda p: p.name)


def edit_right(store: Store, right_id: str, changes: dict[str, Any]) -> None:
    """Change a right's fields (whose, kind, number, office, owner, status, validity)."""
    allowed = set(RightInput.__dataclass_fields__)
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            _("These fields cannot be edited: {names}").format(names=", ".join(sorted(unknown)))
        )
    now = utcnow()
    with store.write() as session:
        right = _live_row(session, IpRight, right_id)
        current = RightInput(
            right.kind,
            right.number,
            right.office,
            right.owner,
            right.right_status,
            right.valid_from,
            right.valid_until,
            right.asserted_by_us,
        )
        merged = _check_right(RightInput(**{**vars(current), **changes}))
        edited = _update_row(session, right, "ip_right", vars(merged), now)
        case = right.case
        if edited:
            _timeline(
                session,
                case,
                "right_edited",
                "",
                f"{right.number or right.kind.value}: " + ", ".join(edited),
            )
            search.reindex_case(session, case)
        case_id = case.id
    events.emit(events.Change.CASE, case_id)


def remove_right(store: Store, right_id: str, *, reason: str = "") -> None:
    """Tombstone a right, as ``remove_party`` does a party."""
    _remove_case_row(
        store, IpRight, "ip_right", right_id, reason, lambda r: r.number or r.kind.value
    )


def _remove_case_row(
    store: Store,
    model: type[Party] | type[IpRight],
    table: str,
    row_id: str,
    reason: str,
    label: Callable[[Any], str],
) -> None:
    """Tombstone a party or right with its outbox entry, timeline line and search update."""
    why = clean_text(_("Reason"), reason, max_len=2_000, multiline=True)
    now = utcnow()
    with store.write() as session:
        row = _live_row(session, model, row_id)
        _remove_row(session, row, table, why, now)
        case = row.case
        _timeline(session, case, f"{table.removeprefix('ip_')}_removed", label(row), "", why)
        search.reindex_case(session, case)
        case_id = case.id
    events.emit(events.Change.CASE, case_id)


def add_deadline(
    store: Store,
    case_id: str,
    data: DeadlineInput,
    *,
    allow_past: bool = False,
    now: datetime | None = None,
) -> str:
    now = now or utcnow()
    library = _library(store)
    with store.write() as session:
        case = _find_case(session, case_id)
        deadline_id = _add_deadline(session, case, data, now, allow_past=allow_past).id
        _relevel(session, case, now, library)
    events.emit(events.Change.CASE, case_id)
    return deadline_id


def set_deadline_done(store: Store, deadline_id: str, done: bool = True) -> None:
    now = utcnow()
    library = _library(store)
    with store.write() as session:
        deadline = session.get(Deadline, deadline_id)
        if deadline is None or deadline.deleted_at is not None:
            raise NotFoundError(_("No deadline with id {id}.").format(id=deadline_id))
        if deadline.done == done:
            return
        base = deadline.version
        deadline.done = done
        deadline.updated_at = now
        outbox.record(
            session,
            entity="deadline",
            entity_id=deadline.id,
            op="update",
            case_id=deadline.case_id,
            base_version=base,
            changes={"done": done},
        )
        case = deadline.case
        _timeline(
            session, case, "deadline_done" if done else "deadline_reopened", "", deadline.what
        )
        _relevel(session, case, now, library)
        case_id = case.id
    events.emit(events.Change.CASE, case_id)


def add_note(store: Store, case_id: str, text_value: str) -> str:
    now = utcnow()
    with store.write() as session:
        case = _find_case(session, case_id)
        note_id = _add_note(session, case, text_value, now).id
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)
    return note_id


def refresh_levels(store: Store, now: datetime | None = None, *, full: bool = False) -> int:
    """Re-run the level rules for open cases whose deadlines may have come closer.

    Called at start-up and on a timer; returns how many cases changed level or rule.
    ``full`` re-levels every case with this folder's library (at start-up and after a library
    update): it mends rows levelled by older code or another library version.
    """
    now = now or utcnow()
    library = _library(store)
    horizon = now + triage.URGENT_WINDOW
    with store.write() as session:
        if full:
            todo: list[Case] = list(
                session.scalars(
                    select(Case)
                    .where(Case.deleted_at.is_(None))
                    .options(
                        selectinload(Case.deadlines),
                        selectinload(Case.parties),
                        selectinload(Case.rights),
                        selectinload(Case.fair),
                    )
                )
            )
        else:
            ids = session.scalars(
                select(Deadline.case_id)
                .where(
                    Deadline.done.is_(False),
                    Deadline.deleted_at.is_(None),
                    Deadline.due_at <= horizon,
                )
                .distinct()
            )
            todo = [c for c in (session.get(Case, i) for i in list(ids)) if c is not None]
            # Cases whose urgent deadline was done or moved: recompute those flagged by R2.
            todo += session.scalars(select(Case).where(Case.level_reason == "R2"))
        changed: set[str] = set()
        for case in todo:
            if case.deleted_at is not None or case.id in changed:
                continue
            before = (case.level, case.computed_level, case.level_reason)
            _relevel(session, case, now, library)
            if before != (case.level, case.computed_level, case.level_reason):
                changed.add(case.id)
    if changed:
        events.emit(events.Change.LEVELS, "")
    return len(changed)


# ---------------------------------------------------------------------------------------------
# Reading


ALL_CASES = CaseFilter()  # the default filter (a frozen value)


def _next_deadline_subquery() -> Any:
    """The case's next open deadline: ``case_file.next_due_at``, kept by triggers on
    ``deadline`` (migration 0006) — a correlated min() per row doubled search-as-you-type."""
    return literal_column("case_file.next_due_at", DateTime())


def _filtered(query: Select[Any], flt: CaseFilter) -> Select[Any] | None:
    query = query.where(Case.deleted_at.is_(None))
    if flt.levels:
        query = query.where(Case.level.in_(flt.levels))
    if flt.statuses:
        query = query.where(Case.status.in_(flt.statuses))
    elif not flt.include_closed:
        query = query.where(Case.status.not_in((Status.CLOSED, Status.SETTLED)))
    if flt.directions:
        query = query.where(Case.direction.in_(flt.directions))
    if flt.fair_id:
        query = query.where(Case.fair_id == flt.fair_id)
    if flt.search.strip():
        match = search.build_match(flt.search)
        if match is None:
            return None
        query = query.where(
            Case.id.in_(text(search.matching_case_ids_sql()).bindparams(match=match))
        )
    return query


def count_cases(store: Store, flt: CaseFilter = ALL_CASES) -> int:
    with store.read() as session:
        query = _filtered(select(func.count(Case.id)), flt)
        return 0 if query is None else int(session.scalar(query) or 0)


def _order_by(sort: str, descending: bool, next_due: Any) -> list[Any]:
    """ORDER BY terms for a sort key (``SORT_COLUMNS``); ``Fair`` must be joined for "fair"."""
    level_rank = func.coalesce(
        func.nullif(func.instr("redyellowblue", Case.level), 0), 99
    )  # red < yellow < blue
    keys: dict[str, list[Any]] = {
        "level": [level_rank, func.coalesce(next_due, "9999")],
        "number": [Case.number],
        "title": [Case.title],
        "status": [Case.status],
        "direction": [Case.direction],
        "fair": [Fair.name],
        "next_deadline": [func.coalesce(next_due, "9999")],
        "updated": [Case.updated_at],
    }
    if sort not in keys:
        raise ValidationError(_("Cannot sort by {key}.").format(key=sort))
    return [k.desc() if descending else k.asc() for k in keys[sort]]


def list_cases(
    store: Store,
    flt: CaseFilter = ALL_CASES,
    *,
    sort: str = "level",
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[CaseRow]:
    """Cases matching ``flt``, sorted in SQL (so 100,000 cases page quickly)."""
    next_due = _next_deadline_subquery().label("next_due")
    query = _filtered(
        select(Case, Fair.name, Fair.time_zone, next_due).outerjoin(Fair, Case.fair_id == Fair.id),
        flt,
    )
    if query is None:
        return []
    order = _order_by(sort, descending, next_due)
    query = query.order_by(*order, Case.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with store.read() as session:
        rows: Sequence[Any] = session.execute(query).all()
        return [_case_row(case, fair_name, tz, due) for case, fair_name, tz, due in rows]


def _case_row(case: Case, fair_name: str | None, tz: str | None, due: Any) -> CaseRow:
    if isinstance(due, str):  # min() over the column comes back raw from SQLite
        due = datetime.fromisoformat(due)
    if isinstance(due, datetime) and due.tzinfo is None:
        due = due.replace(tzinfo=zone("UTC"))
    return CaseRow(
        case.id,
        case.number,
        case.title,
        case.direction,
        case.status,
        case.level,
        case.trigger,
        fair_name or "",
        tz or "UTC",
        due,
        case.updated_at,
        case.needs_review,
    )


def case_ids(
    store: Store, flt: CaseFilter = ALL_CASES, *, sort: str = "level", descending: bool = False
) -> list[str]:
    """Only the ids, in display order: the table model fetches rows lazily from these.

    Selects the id column alone (no ORM objects, no row data), so sorting and filtering
    100,000 cases costs little more than the search itself.
    """
    query = select(Case.id)
    if sort == "fair":
        query = query.outerjoin(Fair, Case.fair_id == Fair.id)
    filtered = _filtered(query, flt)
    if filtered is None:
        return []
    order = _order_by(sort, descending, _next_deadline_subquery())
    with store.read() as session:
        return list(session.scalars(filtered.order_by(*order, Case.id)))


def rows_by_id(store: Store, ids: Sequence[str]) -> dict[str, CaseRow]:
    next_due = _next_deadline_subquery().label("next_due")
    query = (
        select(Case, Fair.name, Fair.time_zone, next_due)
        .outerjoin(Fair, Case.fair_id == Fair.id)
        .where(Case.id.in_(list(ids)))
    )
    with store.read() as session:
        rows: Sequence[Any] = session.execute(query).all()
        return {case.id: _case_row(case, name, tz, due) for case, name, tz, due in rows}


def get_case(store: Store, id_or_number: str) -> CaseDetail:
    with store.read() as session:
        case = _find_case(session, id_or_number)
        session.refresh(case)
        fair = case.fair
        deadlines = tuple(
            DeadlineRow(
                d.id,
                case.id,
                case.number,
                case.title,
                case.level,
                d.what,
                d.due_at,
                d.rule,
                d.source,
                d.done,
                fair.time_zone if fair else "UTC",
            )
            for d in sorted(case.deadlines, key=lambda d: d.due_at)
            if d.deleted_at is None
        )
        next_due = min((d.due_at for d in deadlines if not d.done), default=None)
        row = _case_row(
            case, fair.name if fair else None, fair.time_zone if fair else None, next_due
        )
        return CaseDetail(
            case=row,
            fair=fair_row(fair) if fair else None,
            computed_level=case.computed_level,
            level_rule=case.level_reason,
            level_override=case.level_override,
            override_reason=case.override_reason,
            hall=case.hall,
            booth=case.booth,
            products=case.products,
            summary=case.summary,
            served_at=case.served_at,
            created_at=case.created_at,
            parties=tuple(
                PartyRow(p.id, p.role, p.name, p.organisation, p.contact, p.reference)
                for p in case.parties
                if p.deleted_at is None
            ),
            rights=tuple(
                RightRow(
                    r.id,
                    r.kind,
                    r.number,
                    r.office,
                    r.owner,
                    r.right_status,
                    r.valid_from,
                    r.valid_until,
                    r.asserted_by_us,
                )
                for r in case.rights
                if r.deleted_at is None
            ),
            deadlines=deadlines,
            notes=tuple(NoteRow(n.id, n.text, n.author, n.created_at) for n in case.notes),
            timeline=tuple(
                TimelineRow(
                    t.id, t.kind, t.old_value, t.new_value, t.reason, t.author, t.created_at
                )
                for t in case.timeline
            ),
            situation=read_situation(facts_of(case)),
        )


def open_deadlines(store: Store, *, limit: int = 500) -> list[DeadlineRow]:
    """Every open deadline of every live case, soonest first (the Today page)."""
    query = (
        select(Deadline, Case, Fair.time_zone)
        .join(Case, Deadline.case_id == Case.id)
        .outerjoin(Fair, Case.fair_id == Fair.id)
        .where(
            Deadline.done.is_(False),
            Deadline.deleted_at.is_(None),
            Case.deleted_at.is_(None),
            Case.status.not_in((Status.CLOSED, Status.SETTLED)),
        )
        .order_by(Deadline.due_at)
        .limit(limit)
    )
    with store.read() as session:
        return [
            DeadlineRow(
                d.id,
                c.id,
                c.number,
                c.title,
                c.level,
                d.what,
                d.due_at,
                d.rule,
                d.source,
                d.done,
                tz or "UTC",
            )
            for d, c, tz in session.execute(query).all()
        ]


def red_cases(store: Store) -> list[CaseRow]:
    return list_cases(
        store, CaseFilter(levels=(Level.RED,), include_closed=False), sort="next_deadline"
    )
