"""Notes on a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fairdesk import events, outbox, search
from fairdesk.cases.records import find_case
from fairdesk.cases.timeline import author_of
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Case, Note
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.validation import LONG_MAX, clean_text

_NOTE_FIELDS = ("case_id", "text", "author", "device_id", "created_at")


def insert_note(session: Session, case: Case, text_value: str, now: datetime) -> Note:
    """Check and add a note to ``case`` (author: this device's user) with its outbox entry."""
    body = clean_text(_("Note"), text_value, required=True, max_len=LONG_MAX, multiline=True)
    device_id, author = author_of(session)
    note = Note(
        id=new_id(), case_id=case.id, text=body, author=author, device_id=device_id, created_at=now
    )
    outbox.insert_row(session, note, entity="note", case_id=case.id, fields=_NOTE_FIELDS)
    case.notes.append(note)
    return note


def add_note(store: Store, case_id: str, text_value: str) -> str:
    """Add a note to a case; returns the note's id."""
    now = utcnow()
    with store.write() as session:
        case = find_case(session, case_id)
        note_id = insert_note(session, case, text_value, now).id
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)
    return note_id
