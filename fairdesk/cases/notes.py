"""Notes on a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fairdesk import events, outbox, search
from fairdesk.cases.records import _find_case
from fairdesk.cases.timeline import _author
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Case, Note
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.validation import LONG_MAX, clean_text

_NOTE_FIELDS = ("case_id", "text", "author", "device_id", "created_at")


def _add_note(session: Session, case: Case, text_value: str, now: datetime) -> Note:
    body = clean_text(_("Note"), text_value, required=True, max_len=LONG_MAX, multiline=True)
    device_id, author = _author(session)
    note = Note(
        id=new_id(), case_id=case.id, text=body, author=author, device_id=device_id, created_at=now
    )
    outbox.insert_row(session, note, entity="note", case_id=case.id, fields=_NOTE_FIELDS)
    case.notes.append(note)
    return note


def add_note(store: Store, case_id: str, text_value: str) -> str:
    now = utcnow()
    with store.write() as session:
        case = _find_case(session, case_id)
        note_id = _add_note(session, case, text_value, now).id
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)
    return note_id
