"""One case with everything that hangs on it, as the case page shows it."""

from __future__ import annotations

from fairdesk.cases.listing import case_row
from fairdesk.cases.records import find_case
from fairdesk.cases.rows import CaseDetail, NoteRow, PartyRow, RightRow, TimelineRow
from fairdesk.fairs import fair_row
from fairdesk.quickread import DeadlineRow
from fairdesk.situation import facts_of, read_situation
from fairdesk.store import Store


def get_case(store: Store, id_or_number: str) -> CaseDetail:
    """One case by id or number, with parties, rights, deadlines, notes, timeline and situation."""
    with store.read() as session:
        case = find_case(session, id_or_number)
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
        row = case_row(
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
