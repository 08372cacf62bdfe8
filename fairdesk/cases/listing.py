"""Finding cases: filtered, sorted lists in SQL, ids in display order, open deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Select, func, literal_column, select, text

from fairdesk import search
from fairdesk.errors import ValidationError
from fairdesk.i18n import _
from fairdesk.model import Case, Deadline, Fair, Level, Status
from fairdesk.quickread import ALL_CASES, TODAY_LIMIT, CaseFilter, CaseRow, DeadlineRow
from fairdesk.store import Store
from fairdesk.timeutil import zone


def _next_deadline_subquery() -> Any:
    """The case's next open deadline: ``case_file.next_due_at``, kept by triggers on
    ``deadline`` (migration 0006) — a correlated min() per row doubled search-as-you-type."""
    return literal_column("case_file.next_due_at", DateTime())


def _filtered(query: Select[Any], flt: CaseFilter) -> Select[Any] | None:
    """``query`` narrowed to ``flt``; None when the search text can match nothing."""
    query = query.where(Case.deleted_at.is_(None))
    if flt.levels:
        query = query.where(Case.level.in_(flt.levels))
    if flt.statuses:
        query = query.where(Case.status.in_(flt.statuses))
    elif not flt.include_closed:
        query = query.where(Case.status.not_in((Status.CLOSED, Status.SETTLED)))
    if flt.directions:
        query = query.where(Case.direction.in_(flt.directions))
    if flt.fair_id:
        query = query.where(Case.fair_id == flt.fair_id)
    if flt.search.strip():
        match = search.build_match(flt.search)
        if match is None:
            return None
        query = query.where(
            Case.id.in_(text(search.matching_case_ids_sql()).bindparams(match=match))
        )
    return query


def count_cases(store: Store, flt: CaseFilter = ALL_CASES) -> int:
    """How many live cases match ``flt``."""
    with store.read() as session:
        query = _filtered(select(func.count(Case.id)), flt)
        return 0 if query is None else int(session.scalar(query) or 0)


def _order_by(sort: str, descending: bool, next_due: Any) -> list[Any]:
    """ORDER BY terms for a sort key (``SORT_COLUMNS``); ``Fair`` must be joined for "fair"."""
    level_rank = func.coalesce(
        func.nullif(func.instr("redyellowblue", Case.level), 0), 99
    )  # red < yellow < blue
    keys: dict[str, list[Any]] = {
        "level": [level_rank, func.coalesce(next_due, "9999")],
        "number": [Case.number],
        "title": [Case.title],
        "status": [Case.status],
        "direction": [Case.direction],
        "fair": [Fair.name],
        "next_deadline": [func.coalesce(next_due, "9999")],
        "updated": [Case.updated_at],
    }
    if sort not in keys:
        raise ValidationError(_("Cannot sort by {key}.").format(key=sort))
    return [k.desc() if descending else k.asc() for k in keys[sort]]


def list_cases(
    store: Store,
    flt: CaseFilter = ALL_CASES,
    *,
    sort: str = "level",
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[CaseRow]:
    """Cases matching ``flt``, sorted in SQL (so 100,000 cases page quickly)."""
    next_due = _next_deadline_subquery().label("next_due")
    query = _filtered(
        select(Case, Fair.name, Fair.time_zone, next_due).outerjoin(Fair, Case.fair_id == Fair.id),
        flt,
    )
    if query is None:
        return []
    order = _order_by(sort, descending, next_due)
    query = query.order_by(*order, Case.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with store.read() as session:
        rows: Sequence[Any] = session.execute(query).all()
        return [case_row(case, fair_name, tz, due) for case, fair_name, tz, due in rows]


def case_row(case: Case, fair_name: str | None, tz: str | None, due: Any) -> CaseRow:
    """A list row from a case and its joined fair name, time zone and next due time."""
    if isinstance(due, str):  # min() over the column comes back raw from SQLite
        due = datetime.fromisoformat(due)
    if isinstance(due, datetime) and due.tzinfo is None:
        due = due.replace(tzinfo=zone("UTC"))
    return CaseRow(
        case.id,
        case.number,
        case.title,
        case.direction,
        case.status,
        case.level,
        case.trigger,
        fair_name or "",
        tz or "UTC",
        due,
        case.updated_at,
        case.needs_review,
    )


def case_ids(
    store: Store, flt: CaseFilter = ALL_CASES, *, sort: str = "level", descending: bool = False
) -> list[str]:
    """Only the ids, in display order: the table model fetches rows lazily from these.

    Selects the id column alone (no ORM objects, no row data), so sorting and filtering
    100,000 cases costs little more than the search itself.
    """
    query = select(Case.id)
    if sort == "fair":
        query = query.outerjoin(Fair, Case.fair_id == Fair.id)
    filtered = _filtered(query, flt)
    if filtered is None:
        return []
    order = _order_by(sort, descending, _next_deadline_subquery())
    with store.read() as session:
        return list(session.scalars(filtered.order_by(*order, Case.id)))


def rows_by_id(store: Store, ids: Sequence[str]) -> dict[str, CaseRow]:
    """The list rows of these cases, by id (ids not found are left out)."""
    next_due = _next_deadline_subquery().label("next_due")
    query = (
        select(Case, Fair.name, Fair.time_zone, next_due)
        .outerjoin(Fair, Case.fair_id == Fair.id)
        .where(Case.id.in_(list(ids)))
    )
    with store.read() as session:
        rows: Sequence[Any] = session.execute(query).all()
        return {case.id: case_row(case, name, tz, due) for case, name, tz, due in rows}


def open_deadlines(store: Store, *, limit: int = TODAY_LIMIT) -> list[DeadlineRow]:
    """Open deadlines of live cases in Today's order: red cases' first, soonest first within
    each group, at most ``limit`` (``fairdesk.quickread`` reads the same rows faster)."""
    query = (
        select(Deadline, Case, Fair.time_zone)
        .join(Case, Deadline.case_id == Case.id)
        .outerjoin(Fair, Case.fair_id == Fair.id)
        .where(
            Deadline.done.is_(False),
            Deadline.deleted_at.is_(None),
            Case.deleted_at.is_(None),
            Case.status.not_in((Status.CLOSED, Status.SETTLED)),
        )
        .order_by(Case.level != Level.RED, Deadline.due_at, Deadline.id)
        .limit(limit)
    )
    with store.read() as session:
        return [
            DeadlineRow(
                d.id,
                c.id,
                c.number,
                c.title,
                c.level,
                d.what,
                d.due_at,
                d.rule,
                d.source,
                d.done,
                tz or "UTC",
            )
            for d, c, tz in session.execute(query).all()
        ]
