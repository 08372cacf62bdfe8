"""Parties of a case: check, add, edit and remove (tombstone) them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from fairdesk import events, outbox, rights, search
from fairdesk.cases.inputs import PartyInput
from fairdesk.cases.levels import library_of, relevel
from fairdesk.cases.records import find_case, live_row, remove_case_row
from fairdesk.cases.timeline import add_timeline_event
from fairdesk.enums import TimelineKind
from fairdesk.errors import ValidationError
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.model import LABELS, Case, Party, PartyRole
from fairdesk.store import Store
from fairdesk.timeutil import utcnow
from fairdesk.validation import CONTACT_MAX, clean_text

_PARTY_FIELDS = ("case_id", "role", "name", "organisation", "contact", "reference")


def check_party(p: PartyInput) -> PartyInput:
    """A party with its role known and its texts cleaned; a sentence naming the field if not."""
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
        contact=clean_text(_("Contact"), p.contact, max_len=CONTACT_MAX, multiline=True),
        reference=rights.check_file_number(p.reference),
    )


def insert_party(session: Session, case: Case, p: PartyInput, now: datetime) -> Party:
    """Check and add a party to ``case`` with its outbox entry."""
    p = check_party(p)
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
    outbox.insert_row(session, party, entity="party", case_id=case.id, fields=_PARTY_FIELDS)
    case.parties.append(party)
    return party


def add_party(store: Store, case_id: str, data: PartyInput) -> str:
    """Add a party to a case and re-level it (a court can move the situation)."""
    now = utcnow()
    library = library_of(store)
    with store.write() as session:
        case = find_case(session, case_id)
        party_id = insert_party(session, case, data, now).id
        session.flush()
        session.refresh(case, ["parties"])
        relevel(session, case, now, library)  # a court party can move the situation (UPC)
        search.reindex_case(session, case)
    events.emit(events.Change.CASE, case_id)
    return party_id


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
        party = live_row(session, Party, party_id)
        current = PartyInput(
            party.role, party.name, party.organisation, party.contact, party.reference
        )
        merged = check_party(PartyInput(**{**vars(current), **changes}))
        edited = sorted(
            outbox.update_row(
                session, party, vars(merged), entity="party", case_id=party.case_id, now=now
            )
        )
        case = party.case
        if edited:
            add_timeline_event(
                session, case, TimelineKind.PARTY_EDITED, "", f"{party.name}: {', '.join(edited)}"
            )
            search.reindex_case(session, case)
        case_id = case.id
    events.emit(events.Change.CASE, case_id)


def remove_party(store: Store, party_id: str, *, reason: str = "") -> None:
    """Tombstone a party (synced as a delete; an edit elsewhere meets it as a conflict)."""
    remove_case_row(
        store, Party, "party", TimelineKind.PARTY_REMOVED, party_id, reason, lambda p: p.name
    )
