"""Re-levelling: recompute a case's warning level from the rules and this folder's library."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fairdesk import events, triage
from fairdesk.cases.timeline import add_timeline_event
from fairdesk.enums import TimelineKind
from fairdesk.model import Case, Deadline
from fairdesk.store import Store
from fairdesk.timeutil import utcnow

if TYPE_CHECKING:
    from fairdesk.knowledge.library import Library


def library_of(store: Store) -> Library:
    """The reference library in use in this data folder, handed on explicitly to levelling."""
    # Imported here, not at module load: the reference library costs ~200 ms to import and
    # only re-levelling needs it (off the GUI thread), not listing or searching cases.
    from fairdesk.knowledge.library import load_active

    return load_active(store)


def relevel(
    session: Session, case: Case, now: datetime, library: Library, *, quiet: bool = False
) -> None:
    """Recompute the level from the rules; record a timeline event when it changes."""
    from fairdesk.knowledge.levels import assess_stored_case

    assessment = assess_stored_case(case, now, library)
    case.computed_level = assessment.level
    case.level_reason = assessment.rule
    effective = case.level_override or assessment.level
    old = case.level
    case.level = effective
    if old is not None and old != effective and not quiet:
        why = triage.RULE_TEXT[assessment.rule]
        # Derived from shared facts, so every node computes it: kept local, not synced.
        add_timeline_event(
            session, case, TimelineKind.LEVEL, old.value, effective.value, why, sync=False
        )


def refresh_levels(store: Store, now: datetime | None = None, *, full: bool = False) -> int:
    """Re-run the level rules for open cases whose deadlines may have come closer.

    Called at start-up and on a timer; returns how many cases changed level or rule.
    ``full`` re-levels every case with this folder's library (at start-up and after a library
    update): it mends rows levelled by older code or another library version.
    """
    now = now or utcnow()
    library = library_of(store)
    horizon = now + triage.URGENT_WINDOW
    with store.write() as session:
        if full:
            todo: list[Case] = list(
                session.scalars(
                    select(Case)
                    .where(Case.deleted_at.is_(None))
                    .options(
                        selectinload(Case.deadlines),
                        selectinload(Case.parties),
                        selectinload(Case.rights),
                        selectinload(Case.fair),
                    )
                )
            )
        else:
            ids = session.scalars(
                select(Deadline.case_id)
                .where(
                    Deadline.done.is_(False),
                    Deadline.deleted_at.is_(None),
                    Deadline.due_at <= horizon,
                )
                .distinct()
            )
            todo = [c for c in (session.get(Case, i) for i in list(ids)) if c is not None]
            # Cases whose urgent deadline was done or moved: recompute those flagged by R2.
            todo += session.scalars(select(Case).where(Case.level_reason == "R2"))
        changed: set[str] = set()
        for case in todo:
            if case.deleted_at is not None or case.id in changed:
                continue
            before = (case.level, case.computed_level, case.level_reason)
            relevel(session, case, now, library)
            if before != (case.level, case.computed_level, case.level_reason):
                changed.add(case.id)
    if changed:
        events.emit(events.Change.LEVELS, "")
    return len(changed)
