"""IP rights of a case: check, add, edit and remove (tombstone) them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fairdesk import events, outbox, rights, search
from fairdesk.cases.inputs import RightInput
from fairdesk.cases.levels import library_of, relevel
from fairdesk.cases.records import find_case, live_row, remove_case_row
from fairdesk.cases.timeline import add_timeline_event
from fairdesk.enums import TimelineKind
from fairdesk.errors import ValidationError
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import Case, IpRight, RightKind
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.validation import CODE_MAX, clean_text

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


def check_right(r: RightInput) -> RightInput:
    """A right with its kind known, its texts cleaned and its validity in order."""
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
        number=clean_text(_("Right number"), r.number, max_len=CODE_MAX),
        office=clean_text(_("Country or office"), r.office, max_len=CODE_MAX),
        owner=clean_text(_("Owner"), r.owner),
        right_status=clean_text(_("Right status"), r.right_status, max_len=CODE_MAX),
        valid_from=r.valid_from,
        valid_until=r.valid_until,
        asserted_by_us=bool(r.asserted_by_us),
    )


def right_warning(data: RightInput) -> str:
    """A sentence when the right's number does not match its office's format ("" if it does).

    Shown, never enforced: the right is saved as typed."""
    return rights.number_warning(RightKind(data.kind), data.office, data.number)


def insert_right(session: Session, case: Case, r: RightInput, now: datetime) -> IpRight:
    """Check and add a right to ``case`` with its outbox entry."""
    r = check_right(r)
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
    outbox.insert_row(session, right, entity="ip_right", case_id=case.id, fields=_RIGHT_FIELDS)
    case.rights.append(right)
    return right


def add_right(store: Store, case_id: str, data: RightInput) -> str:
    """Add a right to a case and re-level it (a unitary patent can move the situation)."""
    now = utcnow()
    library = library_of(store)
    with store.write() as session:
        case = find_case(session, case_id)
        right_id = insert_right(session, case, data, now).id
        session.flush()
        session.refresh(case, ["rights"])
        relevel(session, case, now, library)  # a unitary patent can move the situation (UPC)
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)
    return right_id


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
        right = live_row(session, IpRight, right_id)
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
        merged = check_right(RightInput(**{**vars(current), **changes}))
        edited = sorted(
            outbox.update_row(
                session, right, vars(merged), entity="ip_right", case_id=right.case_id, now=now
            )
        )
        case = right.case
        if edited:
            add_timeline_event(
                session,
                case,
                TimelineKind.RIGHT_EDITED,
                "",
                f"{right.number or right.kind.value}: " + ", ".join(edited),
            )
            search.reindex_case(session, case)
        case_id = case.id
    events.emit(events.Change.CASE, case_id)


def remove_right(store: Store, right_id: str, *, reason: str = "") -> None:
    """Tombstone a right, as ``remove_party`` does a party."""
    remove_case_row(
        store,
        IpRight,
        "ip_right",
        TimelineKind.RIGHT_REMOVED,
        right_id,
        reason,
        lambda r: r.number or r.kind.value,
    )
