"""Re-levelling: recompute a case's warning level from the rules and this folder's library."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session, selectinload

from fairdesk import events, triage
from fairdesk.cases.timeline import add_timeline_event
from fairdesk.enums import TimelineKind
from fairdesk.model import Case, Deadline, Fair, IpRight, Party
from fairdesk.situation import CaseFacts, facts_from
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


# Cases read per query by a full refresh, and re-levelled per write transaction (the app
# queues one such transaction per job on its single writer: ui/app.py).
FULL_REFRESH_CHUNK = 200


@contextlib.contextmanager
def _at_half_pace() -> Iterator[None]:
    """Run one chunk of a refresh, then rest as long as it took.

    The refresh runs on a worker while the user types; Python lets one thread run at a time,
    and the GUI thread needs the GIL for every call from Qt into Python (each cell painted).
    Taken at full pace, a 100,000-case refresh held the window still for 100-200 ms at a
    time while the user typed; resting half the time gives the GUI thread the GIL at once.
    """
    started = time.perf_counter()
    yield
    time.sleep(time.perf_counter() - started)


def refresh_levels(store: Store, now: datetime | None = None, *, full: bool = False) -> int:
    """Re-run the level rules for open cases whose deadlines may have come closer.

    Called at start-up and on a timer; returns how many cases changed level or rule.
    ``full`` re-levels every case with this folder's library (at start-up and after a library
    update): it mends rows levelled by older code or another library version. The app runs
    the two halves apart: ``cases_to_relevel`` reads (seconds on a large folder) beside the
    single writer, and ``relevel_cases`` writes the few it found.
    """
    now = now or utcnow()
    return relevel_cases(store, cases_to_relevel(store, now, full=full), now)


def cases_to_relevel(store: Store, now: datetime | None = None, *, full: bool = False) -> list[str]:
    """The ids of the cases a refresh must re-level; reads only.

    Full: the open cases whose stored level or rule is not what the rules say now. Otherwise
    those of the cases with an open deadline within the urgent window, or levelled by it (R2):
    the minute timer's pass. Overdue deadlines stay in that window until they are done, so on
    a large folder it can name thousands of cases whose level is already right; loading each
    as ORM objects every minute held the writer for seconds.
    """
    now = now or utcnow()
    library = library_of(store)
    if full:
        return _stale_case_ids(store, now, library)
    return _stale_case_ids(store, now, library, _near_case_ids(store, now))


def _near_case_ids(store: Store, now: datetime) -> list[str]:
    """The cases with an open deadline within the urgent window, and those levelled by it."""
    horizon = now + triage.URGENT_WINDOW
    with store.read() as session:
        near = session.scalars(
            select(Deadline.case_id)
            .where(
                Deadline.done.is_(False),
                Deadline.deleted_at.is_(None),
                Deadline.due_at <= horizon,
            )
            .distinct()
        )
        # Cases whose urgent deadline was done or moved: recompute those flagged by R2.
        flagged = session.scalars(select(Case.id).where(Case.level_reason == "R2"))
        return list(dict.fromkeys([*near, *flagged]))


def relevel_cases(store: Store, case_ids: list[str], now: datetime | None = None) -> int:
    """Re-level these cases (deleted ones are left); how many changed level or rule."""
    now = now or utcnow()
    library = library_of(store)
    changed: set[str] = set()
    for start in range(0, len(case_ids), FULL_REFRESH_CHUNK):
        with _at_half_pace(), store.write() as session:
            todo = session.scalars(
                select(Case)
                .where(Case.id.in_(case_ids[start : start + FULL_REFRESH_CHUNK]))
                .options(
                    selectinload(Case.deadlines),
                    selectinload(Case.parties),
                    selectinload(Case.rights),
                    selectinload(Case.fair),
                )
            )
            for case in todo:
                if case.deleted_at is not None:
                    continue
                before = (case.level, case.computed_level, case.level_reason)
                relevel(session, case, now, library)
                if before != (case.level, case.computed_level, case.level_reason):
                    changed.add(case.id)
    if changed:
        events.emit(events.Change.LEVELS, "")
    return len(changed)


def _stale_case_ids(
    store: Store, now: datetime, library: Library, among: list[str] | None = None
) -> list[str]:
    """The open cases (all, or those ``among`` these ids) whose stored level or rule is not
    what the rules say now.

    Assessed with the same ``assess_case`` as ``relevel``, from plain columns
    (``open_case_facts``); only the stale cases are then loaded as ORM objects and written.
    Loading every case of a 100,000-case folder into one session (with deadlines, parties,
    rights and fair) took ~28 s, and its millions of live objects made Python's collector run
    full collections of ~1 s each, holding the GIL: the window froze while the user typed.
    """
    from fairdesk.knowledge.levels import assess_case

    stale: list[str] = []
    for row, facts, due in open_case_facts(store, among):
        assessment = assess_case(facts, due, now, library)
        wanted = (row.level_override or assessment.level, assessment.level, assessment.rule)
        if (row.level, row.computed_level, row.level_reason) != wanted:
            stale.append(row.id)
    return stale


def open_case_facts(
    store: Store, among: list[str] | None = None
) -> Iterator[tuple[Row[*tuple[Any, ...]], CaseFacts, list[datetime]]]:
    """Every open case (or those ``among`` these ids) as (its level columns, ``facts_of`` it,
    its open deadlines' times).

    Read FULL_REFRESH_CHUNK cases at a time in plain columns, never as ORM objects, so that
    what is alive at once stays small however large the folder; at half pace, with the
    caller's work on each chunk counted in.
    """
    after = ""
    pending = sorted(set(among)) if among is not None else None
    while True:
        if pending is not None:
            if not pending:
                return
            chunk, pending = pending[:FULL_REFRESH_CHUNK], pending[FULL_REFRESH_CHUNK:]
        with _at_half_pace():
            with store.read() as session:
                query = (
                    select(
                        Case.id,
                        Case.trigger,
                        Case.direction,
                        Case.situation_override,
                        Case.level,
                        Case.computed_level,
                        Case.level_reason,
                        Case.level_override,
                        Fair.country,
                    )
                    .outerjoin(Fair, Case.fair_id == Fair.id)
                    .where(Case.deleted_at.is_(None))
                    .order_by(Case.id)
                )
                if pending is None:  # the next chunk of all cases, by id
                    query = query.where(Case.id > after).limit(FULL_REFRESH_CHUNK)
                else:
                    query = query.where(Case.id.in_(chunk))
                rows = session.execute(query).all()
                if not rows:
                    if pending is None:
                        return
                    continue  # that chunk of ids: all deleted
                first, after = rows[0].id, rows[-1].id
                # Children of exactly these cases: a range of ids when reading all of them.
                these = (first, after) if pending is None else [row.id for row in rows]
                parties = _by_case(
                    session,
                    select(Party.case_id, Party.role, Party.name, Party.organisation).order_by(
                        Party.created_at
                    ),
                    Party,
                    these,
                )
                rights = _by_case(
                    session,
                    select(IpRight.case_id, IpRight.office, IpRight.asserted_by_us).order_by(
                        IpRight.created_at
                    ),
                    IpRight,
                    these,
                )
                due = _by_case(
                    session,
                    select(Deadline.case_id, Deadline.due_at)
                    .where(Deadline.done.is_(False))
                    .order_by(Deadline.due_at),
                    Deadline,
                    these,
                )
            for row in rows:
                facts = facts_from(
                    row.trigger,
                    row.direction,
                    row.country,
                    [(role.value, name, org) for role, name, org in parties.get(row.id, ())],
                    rights.get(row.id, []),
                    row.situation_override,
                )
                yield row, facts, [d for (d,) in due.get(row.id, ())]


def _by_case(
    session: Session,
    query: Select[*tuple[Any, ...]],
    model: type[Party | IpRight | Deadline],
    cases: tuple[str, str] | list[str],
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of ``query`` (case id first) for the not deleted ``model`` rows of the
    ``cases`` (a (first, last) range of ids, or a list), grouped by case id without it, in
    the query's order (the order of the case's relationship, as ``facts_of`` sees them)."""
    of_cases = (
        model.case_id.between(*cases) if isinstance(cases, tuple) else model.case_id.in_(cases)
    )
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for row in session.execute(query.where(of_cases, model.deleted_at.is_(None))):
        grouped.setdefault(row[0], []).append(tuple(row[1:]))
    return grouped
