"""Cases themselves: create (with first parties, rights, deadlines, note), edit, delete."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fairdesk import events, outbox, search, triage
from fairdesk.cases.deadlines import insert_deadline
from fairdesk.cases.inputs import EDITABLE_TEXT, CaseEdit, CaseInput
from fairdesk.cases.levels import library_of, relevel
from fairdesk.cases.notes import insert_note
from fairdesk.cases.parties import check_party, insert_party
from fairdesk.cases.records import find_case
from fairdesk.cases.rights import check_right, insert_right
from fairdesk.cases.timeline import add_timeline_event
from fairdesk.enums import TimelineKind
from fairdesk.errors import NotFoundError, ValidationError
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Case, Device, Direction, Fair, Level, Status, Trigger
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.validation import CASE_NUMBER_MAX, REASON_MAX, clean_text

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


E = TypeVar("E", bound=enum.Enum)


def _clean_case_text(name: str, value: object) -> str:
    """One of a case's text fields (``EDITABLE_TEXT``), checked as creation and edits do."""
    label, limit = EDITABLE_TEXT[name]
    return clean_text(
        _(label),
        None if value is None else str(value),
        max_len=limit,
        required=name == "title",
        multiline=name in ("summary", "products"),
    )


def _enum_value(enum_cls: type[E], name: str, value: object) -> E | None:
    """A value of ``enum_cls`` from what a caller passed (a member or its stored string)."""
    if value is None or value == "":
        return None
    try:
        return enum_cls(value)
    except ValueError as exc:
        raise ValidationError(
            _("Unknown {field}: {value}").format(field=name, value=value)
        ) from exc


def _next_number(session: Session) -> str:
    """The next free case number of this device: ``<device code>-<sequence>``."""
    device = session.scalars(select(Device)).one()
    while True:
        number = f"{device.short_code}-{device.next_case_seq:04d}"
        device.next_case_seq += 1
        if session.scalars(select(Case.id).where(Case.number == number)).first() is None:
            return number


def _check_served_at(served_at: datetime | None, now: datetime) -> None:
    """A time of service in the future is a typo: deadlines counted from it would be late."""
    if served_at and served_at > now + timedelta(minutes=5):
        raise ValidationError(_("The time of service is in the future; check the date."))


def create_case(store: Store, data: CaseInput, *, now: datetime | None = None) -> str:
    """Record a new case with its first parties, rights, deadlines and note, in one step."""
    now = now or utcnow()
    library = library_of(store)
    title = _clean_case_text("title", data.title)
    parties = [check_party(p) for p in data.parties]
    rights = [check_right(r) for r in data.rights]
    _check_served_at(data.served_at, now)
    with store.write() as session:
        fair = session.get(Fair, data.fair_id) if data.fair_id else None
        if data.fair_id and fair is None:
            raise NotFoundError(_("No fair with id {id}.").format(id=data.fair_id))
        if data.number:
            number = clean_text(
                _("Case number"), data.number, max_len=CASE_NUMBER_MAX, required=True
            )
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
            hall=_clean_case_text("hall", data.hall),
            booth=_clean_case_text("booth", data.booth),
            products=_clean_case_text("products", data.products),
            summary=_clean_case_text("summary", data.summary),
            served_at=data.served_at,
            created_at=now,
            updated_at=now,
            level=Level.BLUE,
            computed_level=Level.BLUE,
        )
        case.fair = fair
        outbox.insert_row(session, case, entity="case", case_id=case.id, fields=_CASE_FIELDS)
        for p in parties:
            insert_party(session, case, p, now)
        for r in rights:
            insert_right(session, case, r, now)
        for d in data.deadlines:
            insert_deadline(session, case, d, now, allow_past=False)
        if data.note.strip():
            insert_note(session, case, data.note, now)
        relevel(session, case, now, library, quiet=True)  # the first assessment is not a "change"
        add_timeline_event(
            session,
            case,
            TimelineKind.CREATED,
            "",
            case.level.value,
            triage.RULE_TEXT[case.level_reason],
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
    data: CaseEdit,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """Change the fields ``data`` gives; all are checked before any is saved.

    A level override (or lifting it) needs ``reason``; the reason also goes on the timeline
    lines of a status change, a situation correction and an edit.
    """
    now = now or utcnow()
    changes = data.given()
    situation_key = _check_situation(changes["situation"]) if "situation" in changes else None
    if "served_at" in changes:
        _check_served_at(changes["served_at"], now)
    library = library_of(store)
    with store.write() as session:
        case = find_case(session, case_id)
        changed: dict[str, Any] = {}
        if situation_key is not None and situation_key != case.situation_override:
            changed["situation_override"] = situation_key
        for name in EDITABLE_TEXT:
            if name in changes:
                text = _clean_case_text(name, changes[name])
                if text != getattr(case, name):
                    changed[name] = text
        for name, enum_cls in (("status", Status), ("direction", Direction), ("trigger", Trigger)):
            value = _enum_value(enum_cls, name, changes.get(name))
            if value is not None and value != getattr(case, name):
                changed[name] = value
        if "fair_id" in changes and changes["fair_id"] != case.fair_id:
            if changes["fair_id"] and session.get(Fair, changes["fair_id"]) is None:
                raise NotFoundError(_("No fair with id {id}.").format(id=changes["fair_id"]))
            changed["fair_id"] = changes["fair_id"]
        if "served_at" in changes and changes["served_at"] != case.served_at:
            changed["served_at"] = changes["served_at"]
        override_changed = False
        if "level" in changes:
            new_override = _enum_value(Level, "level", changes["level"])
            if new_override != case.level_override:
                why = clean_text(_("Reason"), reason, max_len=REASON_MAX, multiline=True)
                if not why:
                    raise ValidationError(_("Changing the warning level by hand needs a reason."))
                changed["level_override"] = new_override
                changed["override_reason"] = why
                override_changed = True
        if not changed:
            return
        old_status = case.status
        outbox.update_row(session, case, changed, entity="case", case_id=case.id, now=now)
        if "fair_id" in changed:
            case.fair = session.get(Fair, case.fair_id) if case.fair_id else None
        if "status" in changed:
            add_timeline_event(
                session, case, TimelineKind.STATUS, old_status.value, case.status.value, reason
            )
        if "situation_override" in changed:
            add_timeline_event(
                session, case, TimelineKind.SITUATION, "", situation_key or "computed", reason
            )
        if override_changed:
            old_level = case.level
            relevel(session, case, now, library, quiet=True)
            add_timeline_event(
                session,
                case,
                TimelineKind.LEVEL_OVERRIDE,
                old_level.value,
                (case.level_override or case.computed_level).value,
                case.override_reason,
            )
        else:
            relevel(session, case, now, library)
        edited = sorted(
            set(changed) - {"status", "level_override", "override_reason", "situation_override"}
        )
        if edited:
            add_timeline_event(session, case, TimelineKind.EDIT, "", ", ".join(edited), reason)
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)


def delete_case(store: Store, case_id: str, *, reason: str) -> None:
    """Tombstone a case (kept on disk and synced as a delete; never erased)."""
    why = clean_text(_("Reason"), reason, required=True, max_len=REASON_MAX, multiline=True)
    now = utcnow()
    with store.write() as session:
        case = find_case(session, case_id)
        outbox.delete_row(session, case, entity="case", case_id=case.id, now=now, reason=why)
        add_timeline_event(session, case, TimelineKind.DELETED, "", "", why)
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)
