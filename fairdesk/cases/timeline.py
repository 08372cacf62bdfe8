"""The case timeline: who did what and when, appended in the transaction of the change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairdesk import outbox
from fairdesk.enums import TimelineKind
from fairdesk.ids import new_id
from fairdesk.model import Case, Device, TimelineEvent
from fairdesk.timeutil import utcnow


def author_of(session: Session) -> tuple[str, str]:
    """This device's id and its user's name: who made the change."""
    device = session.scalars(select(Device)).one()
    return device.id, device.user_name


_TIMELINE_FIELDS = (
    "case_id",
    "kind",
    "old_value",
    "new_value",
    "reason",
    "author",
    "device_id",
    "created_at",
)


def add_timeline_event(
    session: Session,
    case: Case,
    kind: TimelineKind,
    old: str = "",
    new: str = "",
    reason: str = "",
    *,
    sync: bool = True,
) -> None:
    """Append a line to the case's timeline; synced unless ``sync`` is False (derived lines)."""
    device_id, author = author_of(session)
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
    if sync:
        outbox.insert_row(
            session, event, entity="timeline_event", case_id=case.id, fields=_TIMELINE_FIELDS
        )
    else:
        session.add(event)
