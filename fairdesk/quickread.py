"""The first screen read with the standard ``sqlite3`` module: Today and the Cases list.

Importing SQLAlchemy and mapping the ORM costs more than building the whole window, so the
lists a user sees first are read here with plain SQL on the same schema (SQLCipher's driver,
same DB-API, when the folder is encrypted) and the ORM loads on a worker after the window is
usable. Only the schema head is accepted: :func:`schema_is_current` compares
``alembic_version`` with the head read from the migration scripts, and anything else (a
migration due, a newer or foreign database) goes through :func:`fairdesk.store.open_store`'s
full path, which refuses what it must with its message. Rows are the same named tuples
the ORM services return (``fairdesk.cases`` re-exports them); a test keeps both equal.

Read-only: connections are opened with ``PRAGMA query_only``; every write still goes through
the store's units of work.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from fairdesk import search
from fairdesk.enums import DeadlineRule, Direction, Level, Status, Trigger

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
Connect = Callable[[Path], Any]


# ---------------------------------------------------------------------------------------------
# Rows (shared with the ORM services in fairdesk.cases)


class CaseRow(NamedTuple):
    id: str
    number: str
    title: str
    direction: Direction
    status: Status
    level: Level
    trigger: Trigger
    fair_name: str
    fair_time_zone: str
    next_deadline: datetime | None
    updated_at: datetime
    needs_review: bool


class DeadlineRow(NamedTuple):
    id: str
    case_id: str
    case_number: str
    case_title: str
    case_level: Level
    what: str
    due_at: datetime
    rule: DeadlineRule
    source: str
    done: bool
    fair_time_zone: str


class DeadlineCounts(NamedTuple):
    """Today's summary over every open deadline, not only the rows the list holds."""

    open: int
    overdue: int  # due before the time the counts were read
    red_cases: int  # red cases with at least one open deadline


class CaseFilter(NamedTuple):
    search: str = ""
    levels: tuple[Level, ...] = ()
    statuses: tuple[Status, ...] = ()
    directions: tuple[Direction, ...] = ()
    fair_id: str | None = None
    include_closed: bool = True


ALL_CASES = CaseFilter()  # the default filter (an immutable value)


class FairChoice(NamedTuple):
    """A fair as the Cases filter offers it (the full FairRow needs the ORM)."""

    id: str
    name: str


SORT_COLUMNS = (
    "level",
    "number",
    "title",
    "status",
    "direction",
    "fair",
    "next_deadline",
    "updated",
)

# ---------------------------------------------------------------------------------------------
# The schema head, from the migration files


_REVISION_LINE = re.compile(
    r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:[\"']([^\"']*)[\"']|None)\s*$", re.MULTILINE
)


def quick_head_revision(migrations_dir: Path = MIGRATIONS_DIR) -> str | None:
    """The head of the migration chain read from the revision files themselves, or None.

    Importing Alembic costs ~140 ms at every start, and it is only needed when a migration is
    due: this reads the ``revision`` / ``down_revision`` lines of the few small files instead
    (~1 ms). Anything unusual (a merge, a branch, a file it cannot read) gives None, and the
    caller asks Alembic.
    """
    revisions: dict[str, str | None] = {}
    try:
        files = sorted(migrations_dir.joinpath("versions").glob("*.py"))
        for path in files:
            found = dict(
                (m.group(1), m.group(2)) for m in _REVISION_LINE.finditer(path.read_text("utf-8"))
            )
            if found.get("revision"):
                revisions[str(found["revision"])] = found.get("down_revision")
    except (OSError, UnicodeDecodeError):
        return None
    parents = set(revisions.values())
    heads = [rev for rev in revisions if rev not in parents]
    return heads[0] if len(heads) == 1 else None


def stored_revisions(connection: Any) -> list[str]:
    """The rows of ``alembic_version`` (empty for a new or foreign database)."""
    cursor = connection.cursor()
    try:
        exists = cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if exists is None:
            return []
        return [str(row[0]) for row in cursor.execute("SELECT version_num FROM alembic_version")]
    finally:
        cursor.close()


def schema_is_current(connection: Any, head: str | None) -> bool:
    """True when the database is at exactly ``head`` (None, an unknown head: never current)."""
    return head is not None and stored_revisions(connection) == [head]


# ---------------------------------------------------------------------------------------------
# Values as SQLAlchemy stores them in SQLite


def _utc(value: Any) -> datetime | None:
    """A stored UTC time ("2026-12-04 17:45:26.123456", naive) as an aware datetime."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _stored(value: datetime) -> str:
    """An aware time as SQLAlchemy stores it (naive UTC, microseconds), for comparisons."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _utc_required(value: Any) -> datetime:
    parsed = _utc(value)
    assert parsed is not None
    return parsed


# ---------------------------------------------------------------------------------------------
# The reader


_CASE_COLUMNS = (
    "c.id, c.number, c.title, c.direction, c.status, c.level, c.trigger, f.name, f.time_zone, "
    "c.next_due_at, c.updated_at, c.needs_review"
)
_ORDER = {
    # red < yellow < blue, then the next open deadline (kept in case_file.next_due_at, 0006).
    # Migration 0014 indexes these two expressions verbatim (ix_case_file_level_order, with
    # the id): SQLite matches an expression index only to the same text, so the first screen
    # in this order is read from the index instead of sorting every live case. Keep in step.
    "level": (
        "coalesce(nullif(instr('redyellowblue', c.level), 0), 99)",
        "coalesce(c.next_due_at, '9999')",
    ),
    "number": ("c.number",),
    "title": ("c.title",),
    "status": ("c.status",),
    "direction": ("c.direction",),
    "fair": ("f.name",),
    "next_deadline": ("coalesce(c.next_due_at, '9999')",),
    "updated": ("c.updated_at",),
}


# Today: the deadlines of red cases first, then the rest, soonest first within each, at most
# TODAY_LIMIT of them. One statement (one snapshot) of two walks that stop at the limit: the
# red cases' soonest deadlines (the planner picks the way: by due time, or through the red
# cases when they are few), then the soonest of the others, only as many as the red ones left
# room for. That is exactly ``ORDER BY c.level <> 'red', d.due_at, d.id LIMIT n`` (the ORM
# reader's form). When the red cases fill the list (the bench's 10,000 cases have 1,466 red
# ones), the second walk reads nothing: it used to read the soonest n of all and drop the red
# ones, ~40 % of the statement. The second walk is held to the partial index
# ix_deadline_open_due_at (migration 0014): with the id as tie-break, SQLite's statistics could
# otherwise choose to sort every open deadline (~47 ms on 100,000 cases; the walks take ~10).
TODAY_LIMIT = 500
# An open deadline of a live case (parameters: the two closed statuses); Today's list and its
# counts both read these.
_OPEN_WHERE = (
    "WHERE d.done = 0 AND d.deleted_at IS NULL AND c.deleted_at IS NULL AND c.status NOT IN (?, ?)"
)
_OPEN_DEADLINE = (
    " FROM deadline d{indexed} JOIN case_file c ON d.case_id = c.id "
    f"LEFT OUTER JOIN fair f ON c.fair_id = f.id {_OPEN_WHERE}"
)
_DEADLINE_COLUMNS = (
    "d.id AS id, c.id AS case_id, c.number AS number, c.title AS title, c.level AS level, "
    "d.what AS what, d.due_at AS due_at, d.rule AS rule, d.source AS source, d.done AS done, "
    "f.time_zone AS time_zone"
)
_OPEN_DEADLINES = (
    f"WITH red AS MATERIALIZED (SELECT {_DEADLINE_COLUMNS}{_OPEN_DEADLINE.format(indexed='')} "
    "AND c.level = ? ORDER BY d.due_at, d.id LIMIT ?) "
    "SELECT id, case_id, number, title, level, what, due_at, rule, source, done, time_zone "
    "FROM (SELECT *, 0 AS later FROM red "
    f"UNION ALL SELECT * FROM (SELECT {_DEADLINE_COLUMNS}, 1 AS later"
    f"{_OPEN_DEADLINE.format(indexed=' INDEXED BY ix_deadline_open_due_at')} "
    "AND c.level <> ? ORDER BY d.due_at, d.id LIMIT max(0, ? - (SELECT count(*) FROM red)))) "
    "ORDER BY later, due_at, id"
)


def _open_deadlines_params(limit: int) -> tuple[Any, ...]:
    closed, red = (Status.CLOSED.value, Status.SETTLED.value), Level.RED.value
    return (*closed, red, limit, *closed, red, limit)


# What Today's summary counts when its list is capped: every open deadline, the overdue ones,
# and the red cases that have one (~3 ms on 10,000 cases, ~46 on 100,000: read after the list).
_DEADLINE_COUNTS = (
    "SELECT count(*), coalesce(sum(d.due_at < ?), 0), "
    "count(DISTINCT CASE WHEN c.level = ? THEN c.id END)"
    f" FROM deadline d JOIN case_file c ON d.case_id = c.id {_OPEN_WHERE}"
)


def _case_row(row: Sequence[Any]) -> CaseRow:
    return CaseRow(
        row[0],
        row[1],
        row[2],
        Direction(row[3]),
        Status(row[4]),
        Level(row[5]),
        Trigger(row[6]),
        row[7] or "",
        row[8] or "UTC",
        _utc(row[9]),
        _utc_required(row[10]),
        bool(row[11]),
    )


# What a search joins to: the rows of the FTS5 index that match, read from its content table
# (FTS5's documented shadow table ``<name>_content``: ``id`` is the index rowid, ``c0`` the
# first column, ``case_id``). ``SELECT case_id ... MATCH`` makes FTS5 load each matching row
# whole, the long ``body`` included; the MATCH itself only yields rowids, and the case id is
# read from the content row's first column. Measured over 100,000 cases this is what put a
# keystroke at ~1.2x the raw FTS5 query instead of ~1.8x (tests/bench/bench_ui.py). A join, not
# ``IN``: ``search.reindex_case`` keeps exactly one index row per case, so no case repeats.
_SEARCH_JOIN = (
    " JOIN search_index_content s ON s.c0 = c.id"
    " AND s.id IN (SELECT rowid FROM search_index WHERE search_index MATCH ?)"
)


def _where(flt: CaseFilter) -> tuple[str, list[Any], str | None] | None:
    """The WHERE clause for ``flt`` (case_file as ``c``) and its parameters, plus the FTS5 match
    expression the query joins through (:data:`_SEARCH_JOIN`, its parameter comes first), or
    None when nothing can match."""
    clauses: list[str] = ["c.deleted_at IS NULL"]
    params: list[Any] = []
    match: str | None = None

    def among(column: str, values: Sequence[str], negate: bool = False) -> None:
        marks = ", ".join("?" * len(values))
        clauses.append(f"{column} {'NOT IN' if negate else 'IN'} ({marks})")
        params.extend(values)

    if flt.levels:
        among("c.level", [v.value for v in flt.levels])
    if flt.statuses:
        among("c.status", [v.value for v in flt.statuses])
    elif not flt.include_closed:
        among("c.status", [Status.CLOSED.value, Status.SETTLED.value], negate=True)
    if flt.directions:
        among("c.direction", [v.value for v in flt.directions])
    if flt.fair_id:
        clauses.append("c.fair_id = ?")
        params.append(flt.fair_id)
    if flt.search.strip():
        match = search.build_match(flt.search)
        if match is None:
            return None
    return " AND ".join(clauses), params, match


class Reader:
    """Read-only queries for the first screen; one connection per thread, closed together."""

    def __init__(self, db_path: Path, connect: Connect) -> None:
        self.db_path = db_path
        self._connect = connect
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[Any] = []

    def connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect(self.db_path)
            cursor = connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 10000")
            cursor.execute("PRAGMA query_only = ON")
            cursor.close()
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _all(self, sql: str, params: Sequence[Any], width: int) -> list[list[Any]]:
        """Every row of ``sql`` (``width`` columns), in its order, fetched in one step.

        These reads run on worker threads while the GUI thread runs Python, and the ``sqlite3``
        module lets go of the GIL around every row it steps: each row then waited for the GUI
        thread's next switch (5 ms), so Today's 500 deadlines took ~200 ms beside a busy GUI
        thread instead of ~10 ms. SQLite builds the whole result as one JSON array instead,
        one step, and ``json.loads`` turns it into lists in C. The order holds: SQLite keeps a
        FROM-clause subquery's ORDER BY when the outer query uses an aggregate other than
        count(), min() or max() (select.c, the OmitOrderBy rule). JSON carries the values
        these queries read (text, integers, NULL) unchanged.
        """
        names = ", ".join(f"c{i}" for i in range(width))
        rows: list[list[Any]] = self._one_step(sql, params, names, f"json_array({names})")
        return rows

    def _column(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """The single column of every row of ``sql``, in order, in one step (as :meth:`_all`)."""
        values: list[Any] = self._one_step(sql, params, "c0", "c0")
        return values

    def _one_step(self, sql: str, params: Sequence[Any], names: str, element: str) -> Any:
        return self._json(
            f"WITH q({names}) AS ({sql}) SELECT json_group_array({element}) FROM q", params
        )

    def _json(self, sql: str, params: Sequence[Any]) -> Any:
        """The JSON value of a statement of one row and one column, decoded."""
        connection = self.connection()
        cursor = connection.cursor()
        try:
            (result,) = cursor.execute(sql, tuple(params)).fetchone()
        finally:
            cursor.close()
            connection.rollback()  # end the read transaction: later writes stay visible
        return json.loads(result)

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(Exception):  # closing at exit; its thread may be gone
                connection.close()

    # -- queries ----------------------------------------------------------------------------

    def _ids_sql(
        self, flt: CaseFilter, sort: str, descending: bool
    ) -> tuple[str, str, list[Any]] | None:
        """The ordered id query and the count query for ``flt``, with their parameters."""
        if sort not in _ORDER:
            raise ValueError(f"cannot sort by {sort}")
        where = _where(flt)
        if where is None:
            return None
        clause, params, match = where
        direction = " DESC" if descending else " ASC"
        order = ", ".join(term + direction for term in _ORDER[sort])
        search_join = _SEARCH_JOIN if match is not None else ""
        fair_join = " LEFT OUTER JOIN fair f ON c.fair_id = f.id" if sort == "fair" else ""
        if match is not None:
            params = [match, *params]
        ordered = (
            f"SELECT c.id FROM case_file c{search_join}{fair_join} WHERE {clause} "
            f"ORDER BY {order}, c.id ASC"
        )
        count = f"SELECT count(*) FROM case_file c{search_join} WHERE {clause}"
        return ordered, count, params

    def case_ids(
        self, flt: CaseFilter = ALL_CASES, *, sort: str = "level", descending: bool = False
    ) -> list[str]:
        """The matching ids in display order (as ``fairdesk.cases.case_ids``)."""
        queries = self._ids_sql(flt, sort, descending)
        if queries is None:
            return []
        ordered, _count, params = queries
        return self._column(ordered, params)

    def first_screen(
        self,
        flt: CaseFilter = ALL_CASES,
        *,
        sort: str = "level",
        descending: bool = False,
        limit: int = 40,
    ) -> tuple[int, list[str], dict[str, CaseRow]]:
        """How many cases match, the first ``limit`` ids of :meth:`case_ids` (same order) and
        their rows (as :meth:`rows_by_id`), in one statement.

        Ordering every match is most of a list query (~0.4 s for 100,000 cases on a slow
        machine); SQLite keeps only the best ``limit`` rows for ``ORDER BY ... LIMIT``, and a
        count needs no order, so the first screen comes in a fraction of that.

        One statement: the Cases list's first read runs beside the GUI thread building the
        window, which holds the GIL almost throughout, and every call into SQLite lets go of
        it and then waits to take it back. As three statements (count, ids, rows) the read
        took 20-50 ms for ~1.5 ms of work at start-up.
        """
        queries = self._ids_sql(flt, sort, descending)
        if queries is None:
            return 0, [], {}
        ordered, count, params = queries
        first = f"{ordered} LIMIT ?"
        total, ids, rows = self._json(
            f"SELECT json_array(({count}), (SELECT json_group_array(id) FROM ({first})), "
            f"(SELECT json_group_array(json_array({_CASE_COLUMNS})) FROM case_file c "
            f"LEFT OUTER JOIN fair f ON c.fair_id = f.id WHERE c.id IN ({first})))",
            [*params, *params, limit, *params, limit],
        )
        return int(total), ids, {row[0]: _case_row(row) for row in rows}

    def rows_by_id(self, ids: Sequence[str]) -> dict[str, CaseRow]:
        """The rows of these cases (as ``fairdesk.cases.rows_by_id``)."""
        found: dict[str, CaseRow] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):  # below SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = (
                f"SELECT {_CASE_COLUMNS} FROM case_file c "
                f"LEFT OUTER JOIN fair f ON c.fair_id = f.id WHERE c.id IN ({marks})"
            )
            for row in self._all(sql, chunk, 12):
                found[row[0]] = _case_row(row)
        return found

    def open_deadlines(self, *, limit: int = TODAY_LIMIT) -> list[DeadlineRow]:
        """Open deadlines of live cases in Today's order: red cases' first, soonest first
        within each group; at most ``limit`` (:meth:`deadline_counts` counts them all)."""
        return [
            DeadlineRow(
                r[0],
                r[1],
                r[2],
                r[3],
                Level(r[4]),
                r[5],
                _utc_required(r[6]),
                DeadlineRule(r[7]),
                r[8],
                bool(r[9]),
                r[10] or "UTC",
            )
            for r in self._all(_OPEN_DEADLINES, _open_deadlines_params(limit), 11)
        ]

    def deadline_counts(self, now: datetime) -> DeadlineCounts:
        """Every open deadline of a live case counted, whatever :meth:`open_deadlines` kept."""
        params = (_stored(now), Level.RED.value, Status.CLOSED.value, Status.SETTLED.value)
        ((total, overdue, red_cases),) = self._all(_DEADLINE_COUNTS, params, 3)
        return DeadlineCounts(total, overdue, red_cases)

    def fair_choices(self) -> list[FairChoice]:
        """Live fairs in the order of ``fairdesk.fairs.list_fairs``."""
        sql = (
            "SELECT id, name FROM fair WHERE deleted_at IS NULL "
            "ORDER BY starts_on IS NULL, starts_on DESC, lower(name)"
        )
        return [FairChoice(r[0], r[1]) for r in self._all(sql, (), 2)]

    def device(self) -> tuple[str, str, str]:
        """This device's id, short code and user name."""
        rows = self._all("SELECT id, short_code, user_name FROM device LIMIT 1", (), 3)
        if not rows:
            raise LookupError("no device row")
        return rows[0][0], rows[0][1], rows[0][2]
