"""The case timeline: who did what and when, appended in the transaction of the change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairdesk import outbox
from fairdesk.enums import TimelineKind
from fairdesk.ids import new_id
from fairdesk.model import Case, Device, TimelineEvent
from fairdesk.timeutil import utcnow


def _author(session: Session) -> tuple[str, str]:
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


def _timeline(
    session: Session,
    case: Case,
    kind: TimelineKind,
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
    if sync:
        outbox.insert_row(
            session, event, entity="timeline_event", case_id=case.id, fields=_TIMELINE_FIELDS
        )
    else:
        session.add(event)
