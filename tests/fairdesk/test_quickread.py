"""The first screen's plain-sqlite3 read layer gives exactly what the ORM services give.

Real SQLite files: the demo set (plus a few edits so every filter has something to find) is
read through both ``fairdesk.cases`` (SQLAlchemy) and ``store.reader`` (sqlite3), for every
sort key in both directions and a set of filters; plain and, with ``--encrypted``, SQLCipher.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from fairdesk import cases, fairs, quickread
from fairdesk.cases import CaseFilter, CaseInput, DeadlineInput
from fairdesk.crypto import sqlcipher
from fairdesk.errors import StoreError
from fairdesk.model import Direction, Level, Status, Trigger
from fairdesk.store import DB_NAME, Store, head_revision, open_store
from fairdesk.timeutil import utcnow

FILTERS = (
    CaseFilter(),
    CaseFilter(include_closed=False),
    CaseFilter(levels=(Level.RED,)),
    CaseFilter(levels=(Level.YELLOW, Level.BLUE), directions=(Direction.BY_US,)),
    CaseFilter(statuses=(Status.CLOSED, Status.SETTLED)),
    CaseFilter(search="Messe"),
    CaseFilter(search="专利"),
    # Search joined with the other filters: the match parameter binds before theirs.
    CaseFilter(search="Messe", include_closed=False),
    CaseFilter(search="Messe", levels=(Level.RED, Level.YELLOW), directions=(Direction.BY_US,)),
    CaseFilter(search="nothing-matches-this-zzz"),
    CaseFilter(search="!!!"),  # nothing searchable: no rows, no error
)


@pytest.fixture
def filled(demo_store: Store) -> Store:
    # A closed case and one without a fair, so the filters and the fair join both matter.
    now = utcnow()
    closed = cases.create_case(
        demo_store,
        CaseInput(
            title="Closed warning letter Messe",
            direction=Direction.BY_US,
            trigger=Trigger.WARNING_LETTER,
            deadlines=[DeadlineInput(what="Answer", due_at=now)],
        ),
    )
    cases.edit_case(demo_store, closed, cases.CaseEdit(status=Status.CLOSED))
    cases.create_case(
        demo_store,
        CaseInput(
            title="专利 copy spotted", direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED
        ),
    )
    return demo_store


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(f)[:60])
def test_case_ids_and_rows_equal_the_orm(filled: Store, flt: CaseFilter) -> None:
    reader = filled.reader
    everything = cases.case_ids(filled)
    assert len(everything) > 10
    for sort in quickread.SORT_COLUMNS:
        for descending in (False, True):
            expected = cases.case_ids(filled, flt, sort=sort, descending=descending)
            assert reader.case_ids(flt, sort=sort, descending=descending) == expected, sort
    wanted = cases.case_ids(filled, flt)
    assert reader.rows_by_id(wanted) == cases.rows_by_id(filled, wanted)


def test_filters_select_something_and_not_everything(filled: Store) -> None:
    everything = set(filled.reader.case_ids())
    for flt in FILTERS[1:7]:
        found = set(filled.reader.case_ids(flt))
        assert found, flt
        assert found < everything, flt


def test_rows_match_field_by_field_including_times(filled: Store) -> None:
    ids = cases.case_ids(filled)
    rows = filled.reader.rows_by_id(ids)
    orm = {row.id: row for row in cases.list_cases(filled)}
    assert rows == orm
    assert any(r.next_deadline is not None for r in rows.values())
    assert all(r.updated_at.tzinfo is not None for r in rows.values())
    assert any(r.fair_name == "" and r.fair_time_zone == "UTC" for r in rows.values())


def test_open_deadlines_equal_the_orm(filled: Store) -> None:
    expected = cases.open_deadlines(filled)
    assert expected
    assert filled.reader.open_deadlines() == expected
    assert filled.reader.open_deadlines(limit=3) == cases.open_deadlines(filled, limit=3)


def test_today_keeps_red_cases_first_when_capped_and_counts_every_deadline(
    filled: Store,
) -> None:
    # Before, Today read the 500 soonest deadlines and put red cases first among those only:
    # a red case whose deadline came later than 500 others was not listed at all, and the
    # summary said "Open deadlines: 500" when thousands were open (issue 16's bench data).
    now = utcnow()
    soon = [DeadlineInput(what=f"Soon {i}", due_at=now + timedelta(minutes=i)) for i in range(6)]
    many_soon = cases.create_case(  # six deadlines before any other, on a case set to yellow
        filled,
        CaseInput(
            title="Many soon",
            direction=Direction.BY_US,
            trigger=Trigger.COPY_SPOTTED,
            deadlines=soon,
        ),
    )
    cases.edit_case(filled, many_soon, cases.CaseEdit(level=Level.YELLOW), reason="counsel")
    every = cases.open_deadlines(filled, limit=10_000)
    red = [d for d in every if d.case_level is Level.RED]
    others = [d for d in every if d.case_level is not Level.RED]
    assert red and len(others) > 6 and min(d.due_at for d in red) > others[5].due_at
    assert every == red + others  # the full order: red first, soonest first within each
    for limit in (1, len(red), len(red) + 3, len(every)):
        listed = filled.reader.open_deadlines(limit=limit)
        assert listed == cases.open_deadlines(filled, limit=limit) == every[:limit]
    later = now + timedelta(minutes=2, seconds=30)  # "Soon 0" to "Soon 2" are overdue by then
    counts = filled.reader.deadline_counts(later)
    assert counts.open == len(every)
    assert counts.overdue == sum(1 for d in every if d.due_at < later) >= 3
    assert counts.red_cases == len({d.case_id for d in red})


def test_fair_choices_follow_the_fair_list(filled: Store) -> None:
    expected = [(f.id, f.name) for f in fairs.list_fairs(filled)]
    assert len(expected) > 40  # the shipped catalogue
    assert [(f.id, f.name) for f in filled.reader.fair_choices()] == expected


def test_the_reader_cannot_write(filled: Store) -> None:
    with pytest.raises((sqlite3.OperationalError, sqlcipher.DriverError), match=r"readonly"):
        filled.reader.connection().execute("DELETE FROM case_file")


def test_schema_is_current_only_at_the_head(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    connection = store.reader.connection()
    assert quickread.quick_head_revision() == head_revision()
    assert quickread.schema_is_current(connection, head_revision())
    store.close()
    raw = sqlite3.connect(str(store.db_path))
    raw.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    raw.commit()
    raw.close()
    again = quickread.Reader(store.db_path, sqlite3.connect)
    assert not quickread.schema_is_current(again.connection(), head_revision())
    again.close()


def test_a_deferred_open_refuses_a_newer_database_with_its_message(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    raw = sqlite3.connect(str(tmp_path / DB_NAME))
    raw.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="newer FairDesk"):
        open_store(tmp_path, defer_orm=True)


def test_a_deferred_open_refuses_a_damaged_database(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    db = tmp_path / DB_NAME
    data = bytearray(db.read_bytes())
    for offset in range(4096 * 2, min(len(data), 4096 * 6)):  # pages after the schema
        data[offset] = 0x5A
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"damaged|cannot be opened"):
        open_store(tmp_path, defer_orm=True)


def test_a_deferred_open_of_a_current_folder_imports_no_sqlalchemy(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    cases.create_case(
        store, CaseInput(title="One", direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED)
    )
    store.close()
    script = (
        "import sys\n"
        "from fairdesk.store import open_store\n"
        f"store = open_store({str(tmp_path)!r}, defer_orm=True)\n"
        "ids = store.reader.case_ids()\n"
        "rows = store.reader.rows_by_id(ids)\n"
        "assert [r.title for r in rows.values()] == ['One'], rows\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic'))\n"
        "print('LOADED', loaded)\n"
        "store.finish_opening()\n"  # the worker's part: engine, fairs seeded (one query)
        "print('ENGINE', 'sqlalchemy' in sys.modules)\n"
        "store.close()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert "LOADED []" in result.stdout, result.stdout + result.stderr
    assert "ENGINE True" in result.stdout


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(f)[:60])
def test_the_first_screen_is_the_head_of_the_full_order(filled: Store, flt: CaseFilter) -> None:
    """The Cases table shows ``first_screen`` before every id arrives (issue 16): the count and
    the first rows must be exactly those of ``case_ids``, for every sort and direction."""
    reader = filled.reader
    for sort in quickread.SORT_COLUMNS:
        for descending in (False, True):
            every = reader.case_ids(flt, sort=sort, descending=descending)
            for limit in (1, 5, 40):
                total, first, rows = reader.first_screen(
                    flt, sort=sort, descending=descending, limit=limit
                )
                assert (total, first) == (len(every), every[:limit]), (sort, descending, limit)
                assert rows == reader.rows_by_id(first), (sort, descending, limit)


def _plan(store: Store, sql: str, params: tuple[object, ...]) -> str:
    connection = store.reader.connection()
    rows = connection.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return " | ".join(str(row[-1]) for row in rows)


def test_the_first_screen_reads_its_order_from_indexes(filled: Store) -> None:
    """Today and the Cases list's first screen walk an index in display order and stop at the
    limit (migration 0014) instead of sorting every live case or reading every deadline: on
    100,000 cases that sort was ~20 ms of the start-up. The expression index only serves the
    exact expressions of ``_ORDER["level"]``: a changed expression fails here."""
    with filled.engine.connect() as conn:  # the statistics a used database has
        conn.exec_driver_sql("ANALYZE")
    today = _plan(filled, quickread._OPEN_DEADLINES, quickread._open_deadlines_params(500))
    # The soonest of all walk the partial index in due order and stop at the limit; the red
    # cases' deadlines are found by due time or by case. Never every open deadline sorted.
    assert "SCAN d USING INDEX ix_deadline_open_due_at" in today, today
    assert "SCAN d USING INDEX ix_deadline_open_due " not in today, today
    assert "SCAN d USING COVERING INDEX ix_deadline_open_due " not in today, today
    queries = filled.reader._ids_sql(CaseFilter(), "level", False)
    assert queries is not None
    ordered, _count, params = queries
    for sql in (f"{ordered} LIMIT ?", ordered):
        plan = _plan(filled, sql, (*params, 40) if "LIMIT" in sql else tuple(params))
        assert "ix_case_file_level_order" in plan and "TEMP B-TREE" not in plan, plan
    # And the answers are what they were: the head of the full order (see the test above).
    total, first, _rows = filled.reader.first_screen(CaseFilter(), limit=5)
    assert first == filled.reader.case_ids(CaseFilter())[:5] and total > len(first) > 0


class _CountingConnection:
    """A DB-API connection that counts the rows the database hands back to Python."""

    def __init__(self, inner: sqlite3.Connection, rows: list[int]) -> None:
        self.inner, self.rows = inner, rows

    def cursor(self) -> _CountingCursor:
        return _CountingCursor(self.inner.cursor(), self.rows)

    def rollback(self) -> None:
        self.inner.rollback()

    def close(self) -> None:
        self.inner.close()


class _CountingCursor:
    def __init__(self, inner: sqlite3.Cursor, rows: list[int]) -> None:
        self.inner, self.rows = inner, rows

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> _CountingCursor:
        self.inner.execute(sql, params)
        return self

    def fetchone(self) -> object:
        self.rows.append(1)
        return self.inner.fetchone()

    def fetchall(self) -> list[object]:
        found = self.inner.fetchall()
        self.rows.append(len(found))
        return found

    def close(self) -> None:
        self.inner.close()


def test_a_long_list_is_one_row_in_the_order_of_the_query(filled: Store) -> None:
    # The sqlite3 module lets go of the GIL around every row it steps; beside a busy GUI thread
    # each row waited for the next switch (5 ms), so 500 deadlines took ~200 ms at start-up
    # (issue 16). Now a list of any length comes back as one row, still in the query's order.
    now = utcnow()
    due = [now + timedelta(minutes=(i * 37) % 301) for i in range(300)]  # shuffled due times
    cases.create_case(
        filled,
        CaseInput(
            title="Many deadlines",
            direction=Direction.AGAINST_US,
            trigger=Trigger.WARNING_LETTER,
            deadlines=[DeadlineInput(what=f"Step {i}", due_at=at) for i, at in enumerate(due)],
        ),
    )
    rows: list[int] = []
    reader = quickread.Reader(
        filled.db_path, lambda path: _CountingConnection(sqlite3.connect(str(path)), rows)
    )
    try:
        deadlines = reader.open_deadlines()
        ids = reader.case_ids()
    finally:
        reader.close()
    assert rows == [1, 1]  # one row per list, not one per deadline or case
    assert len(deadlines) > 300
    raw = sqlite3.connect(str(filled.db_path))
    expected = raw.execute(
        quickread._OPEN_DEADLINES, quickread._open_deadlines_params(500)
    ).fetchall()
    raw.close()
    assert [d.id for d in deadlines] == [r[0] for r in expected]
    for red in (True, False):  # red cases' deadlines first, soonest first within each group
        group = [d for d in deadlines if (d.case_level is Level.RED) is red]
        assert [d.due_at for d in group] == sorted(d.due_at for d in group)
    assert deadlines.index(next(d for d in deadlines if d.case_level is not Level.RED)) == len(
        [d for d in deadlines if d.case_level is Level.RED]
    )
    assert ids == cases.case_ids(filled)
