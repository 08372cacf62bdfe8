"""Finding live rows, and writing their field updates and tombstones with outbox entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairdesk import events, outbox, search
from fairdesk.cases.timeline import add_timeline_event
from fairdesk.enums import TimelineKind
from fairdesk.errors import NotFoundError
from fairdesk.i18n import _
from fairdesk.model import Case, IpRight, Party
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.validation import REASON_MAX, clean_text


def find_case(session: Session, id_or_number: str) -> Case:
    """A live case by id or case number, or a sentence saying there is none."""
    case = session.get(Case, id_or_number)
    if case is None:
        case = session.scalars(select(Case).where(Case.number == id_or_number)).first()
    if case is None or case.deleted_at is not None:
        raise NotFoundError(_("No case with id or number {id}.").format(id=id_or_number))
    return case


def live_row(session: Session, cls: type[Party] | type[IpRight], row_id: str) -> Any:
    """A party or right that is not removed (nor its case), or a sentence saying there is none."""
    row: Party | IpRight | None = (
        session.get(Party, row_id) if cls is Party else session.get(IpRight, row_id)
    )
    if row is None or row.deleted_at is not None or row.case.deleted_at is not None:
        what = _("party") if cls is Party else _("right")
        raise NotFoundError(_("No {what} with id {id}.").format(what=what, id=row_id))
    return row


def remove_case_row(
    store: Store,
    model: type[Party] | type[IpRight],
    table: str,
    kind: TimelineKind,
    row_id: str,
    reason: str,
    label: Callable[[Any], str],
) -> None:
    """Tombstone a party or right with its outbox entry, timeline line and search update."""
    why = clean_text(_("Reason"), reason, max_len=REASON_MAX, multiline=True)
    now = utcnow()
    with store.write() as session:
        row = live_row(session, model, row_id)
        outbox.delete_row(session, row, entity=table, case_id=row.case_id, now=now, reason=why)
        case = row.case
        add_timeline_event(session, case, kind, label(row), "", why)
        search.reindex_case(session, case)
        case_id = case.id
    events.emit(events.Change.CASE, case_id)
