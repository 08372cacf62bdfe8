"""The case list's next deadline (``case_file.next_due_at``, kept by triggers since 0006)
follows every change to a case's deadlines, whoever makes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from fairdesk import cases
from fairdesk.cases import CaseFilter, CaseInput, DeadlineInput
from fairdesk.model import Direction, Trigger
from fairdesk.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)


def _next(store: Store, case_id: str) -> datetime | None:
    listed = {row.id: row for row in cases.list_cases(store)}[case_id].next_deadline
    by_id = cases.rows_by_id(store, [case_id])[case_id].next_deadline
    detail = cases.get_case(store, case_id).case.next_deadline  # computed in Python
    assert listed == by_id == detail
    return listed


def _case(store: Store, *hours: int) -> str:
    return cases.create_case(
        store,
        CaseInput(
            title="Warning letter: LED work lamp",
            direction=Direction.AGAINST_US,
            trigger=Trigger.WARNING_LETTER,
            deadlines=[DeadlineInput(f"reply {h}", due_at=NOW + timedelta(hours=h)) for h in hours],
        ),
        now=NOW,
    )


def test_next_deadline_follows_add_done_reopen_and_delete(store: Store) -> None:
    case_id = _case(store, 48, 10)
    assert _next(store, case_id) == NOW + timedelta(hours=10)
    soon = cases.add_deadline(
        store, case_id, DeadlineInput("answer", due_at=NOW + timedelta(hours=3))
    )
    assert _next(store, case_id) == NOW + timedelta(hours=3)
    cases.set_deadline_done(store, soon)
    assert _next(store, case_id) == NOW + timedelta(hours=10)
    cases.set_deadline_done(store, soon, done=False)
    assert _next(store, case_id) == NOW + timedelta(hours=3)
    with store.write() as session:  # as a sync pull applies a deletion from HQ
        session.execute(
            text("UPDATE deadline SET deleted_at = :now WHERE id = :id"),
            {"now": NOW.replace(tzinfo=None), "id": soon},
        )
    assert _next(store, case_id) == NOW + timedelta(hours=10)
    with store.write() as session:  # and a hard delete / a moved due time
        session.execute(text("DELETE FROM deadline WHERE what = 'reply 10'"))
        session.execute(
            text("UPDATE deadline SET due_at = :due WHERE what = 'reply 48'"),
            {"due": (NOW + timedelta(hours=30)).replace(tzinfo=None)},
        )
    assert _next(store, case_id) == NOW + timedelta(hours=30)


def test_case_without_open_deadlines_sorts_last(store: Store) -> None:
    none = _case(store)
    late = _case(store, 100)
    early = _case(store, 5)
    assert _next(store, none) is None
    ids = cases.case_ids(store, CaseFilter(), sort="next_deadline")
    assert ids.index(early) < ids.index(late) < ids.index(none)
    found = cases.case_ids(store, CaseFilter(search="lamp"), sort="next_deadline")
    assert found == [early, late, none]
