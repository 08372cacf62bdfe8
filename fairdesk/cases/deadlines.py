"""Deadlines of a case: resolve their rule to an instant, add them, mark them done."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fairdesk import events, outbox
from fairdesk.cases.inputs import DeadlineInput
from fairdesk.cases.levels import library_of, relevel
from fairdesk.cases.records import find_case
from fairdesk.cases.timeline import add_timeline_event
from fairdesk.deadlines import resolve_due
from fairdesk.enums import TimelineKind
from fairdesk.errors import NotFoundError, ValidationError
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Case, Deadline, DeadlineRule, Fair
from fairdesk.store import Store
from fairdesk.timeutil import format_local, utcnow
from fairdesk.validation import DEADLINE_MAX, clean_text

_DEADLINE_FIELDS = ("case_id", "what", "due_at", "rule", "rule_hours", "source", "done")


def _resolve_deadline(
    d: DeadlineInput, case: Case, fair: Fair | None, now: datetime, *, allow_past: bool
) -> tuple[str, datetime]:
    """The checked text and the instant a deadline falls due, from its rule and the fair."""
    what = clean_text(_("Deadline"), d.what, required=True, max_len=DEADLINE_MAX)
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


def insert_deadline(
    session: Session, case: Case, d: DeadlineInput, now: datetime, *, allow_past: bool
) -> Deadline:
    """Check and add a deadline to ``case`` with its outbox entry (the caller re-levels)."""
    what, due = _resolve_deadline(d, case, case.fair, now, allow_past=allow_past)
    deadline = Deadline(
        id=new_id(),
        case_id=case.id,
        what=what,
        due_at=due,
        rule=DeadlineRule(d.rule),
        rule_hours=d.hours,
        source=clean_text(_("Source"), d.source, max_len=DEADLINE_MAX),
        done=False,
        created_at=now,
        updated_at=now,
    )
    outbox.insert_row(
        session, deadline, entity="deadline", case_id=case.id, fields=_DEADLINE_FIELDS
    )
    case.deadlines.append(deadline)
    return deadline


def add_deadline(
    store: Store,
    case_id: str,
    data: DeadlineInput,
    *,
    allow_past: bool = False,
    now: datetime | None = None,
) -> str:
    """Add a deadline to a case and re-level it; returns the deadline's id."""
    now = now or utcnow()
    library = library_of(store)
    with store.write() as session:
        case = find_case(session, case_id)
        deadline_id = insert_deadline(session, case, data, now, allow_past=allow_past).id
        relevel(session, case, now, library)
    events.emit(events.Change.CASE, case_id)
    return deadline_id


def set_deadline_done(store: Store, deadline_id: str, done: bool = True) -> None:
    """Mark a deadline done (or open again), on the timeline, and re-level its case."""
    now = utcnow()
    library = library_of(store)
    with store.write() as session:
        deadline = session.get(Deadline, deadline_id)
        if deadline is None or deadline.deleted_at is not None:
            raise NotFoundError(_("No deadline with id {id}.").format(id=deadline_id))
        if deadline.done == done:
            return
        outbox.update_row(
            session, deadline, {"done": done}, entity="deadline", case_id=deadline.case_id, now=now
        )
        case = deadline.case
        add_timeline_event(
            session,
            case,
            TimelineKind.DEADLINE_DONE if done else TimelineKind.DEADLINE_REOPENED,
            "",
            deadline.what,
        )
        relevel(session, case, now, library)
        case_id = case.id
    events.emit(events.Change.CASE, case_id)
