"""The Cases table: ids in display order plus a row cache filled lazily (Anki's browser model).

Sorting and filtering happen in SQL (``store.reader``: plain sqlite3, no ORM objects, see
fairdesk/quickread.py), off the GUI thread on the ``read`` pool; only the rows the view
actually paints are fetched (``store.reader.rows_by_id``), a block at a time. Each reload carries a generation number and results of superseded queries are dropped,
so a slow query for "ab" can never overwrite the results for "abc".

A reload answers in two steps: first the number of matches and the first screen of rows
(``first_screen``: SQLite keeps only the best rows of the order), then every id in order
(``case_ids``: ordering all of 100,000 cases takes ~0.4 s). The view is filled and usable
after the first; the rows below the first screen have their ids a moment later (until then
they read as empty and cannot be opened). ``loading`` ends with the first step, ``loaded``
is emitted after the second, with every id known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from fairdesk.i18n import N_, _
from fairdesk.quickread import CaseFilter, CaseRow
from fairdesk.store import Store
from ui.formatting import label, local_time
from ui.tasks import EarlyRead, explain, runner
from ui.theme import MUTED_TEXT, level_icon

Index = QModelIndex | QPersistentModelIndex
BLOCK = 100  # rows fetched per cache miss: a few screens, so scrolling rarely misses
FIRST_SCREEN = 40  # rows read with the ids: what a maximised window shows
FIRST_SORT = "level"  # the Cases page opens sorted by its first column, ascending


class Column(NamedTuple):
    key: str
    title: str  # N_()-marked
    sort_key: str | None  # key for cases.list_cases(sort=...), None if not sortable
    text: Callable[[CaseRow], str]


COLUMNS: tuple[Column, ...] = (
    Column("level", N_("Level"), "level", lambda r: label(r.level)),
    Column("number", N_("Number"), "number", lambda r: r.number),
    Column("title", N_("Title"), "title", lambda r: r.title),
    Column("status", N_("Status"), "status", lambda r: label(r.status)),
    Column(
        "direction",
        N_("Direction"),
        "direction",
        lambda r: _("Against us") if r.direction.value == "against_us" else _("By us"),
    ),
    Column("fair", N_("Fair"), "fair", lambda r: r.fair_name),
    Column(
        "next_deadline",
        N_("Next deadline (fair)"),
        "next_deadline",
        lambda r: local_time(r.next_deadline, r.fair_time_zone, year=False),
    ),
)


def load_ids_and_first_rows(
    store: Store, flt: CaseFilter, sort: str, descending: bool
) -> tuple[list[str], dict[str, CaseRow]]:
    """What one (re)load runs off the GUI thread: all matching ids in order, plus the rows of
    the first screen so the view paints without a second trip (also timed by the benchmark)."""
    ids = store.reader.case_ids(flt, sort=sort, descending=descending)
    return ids, store.reader.rows_by_id(ids[:FIRST_SCREEN])


def load_first_screen(
    store: Store, flt: CaseFilter, sort: str, descending: bool
) -> tuple[int, list[str], dict[str, CaseRow]]:
    """The first step of a (re)load, off the GUI thread: how many match, the first screen's
    ids in order and their rows."""
    return store.reader.first_screen(flt, sort=sort, descending=descending, limit=FIRST_SCREEN)


def early_first_screen(store: Store) -> EarlyRead[tuple[int, list[str], dict[str, CaseRow]]]:
    """The first screen of a new model's first load, read while the window is built (see
    ``EarlyRead``); its key is the filter and sort the model starts with."""
    key = (CaseFilter(), FIRST_SORT, False)
    return EarlyRead(key, load_first_screen, store, *key)


class CaseTableModel(QAbstractTableModel):
    counted = Signal(int)  # number of matching cases, as soon as the first screen is shown
    loaded = Signal(int)  # number of matching cases, after each (re)load, every id known
    failed = Signal(str)

    def __init__(
        self,
        store: Store,
        parent: Any = None,
        *,
        early: EarlyRead[tuple[int, list[str], dict[str, CaseRow]]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = CaseFilter()
        self.sort_key = FIRST_SORT
        self.descending = False
        self._early = early  # taken by the first reload if it asks for the same rows
        self._ids: list[str] = []
        self._count = 0  # rows shown; more than len(_ids) between the two steps of a reload
        self._cache: dict[str, CaseRow] = {}
        self._generation = 0
        self.loading = False

    # -- loading ------------------------------------------------------------------------------

    def reload(self, flt: CaseFilter | None = None) -> None:
        """Re-run the query (off the GUI thread); the view keeps the old rows until it returns."""
        if flt is not None:
            self.filter = flt
        self._generation += 1
        generation = self._generation
        store, flt_now, key, desc = self.store, self.filter, self.sort_key, self.descending
        self.loading = True

        # Each step first looks whether a newer reload was started meanwhile (typing): then
        # it skips its query, so the read threads are free for the newest one.
        def first() -> tuple[int, list[str], dict[str, CaseRow]]:
            if generation != self._generation:
                return 0, [], {}
            return load_first_screen(store, flt_now, key, desc)

        def every_id() -> list[str]:
            if generation != self._generation:
                return []
            return store.reader.case_ids(flt_now, sort=key, descending=desc)

        early, self._early = self._early, None
        if early is not None and early.key == (flt_now, key, desc):
            early.take(
                lambda result: self._apply_first(generation, *result),
                lambda exc: self._failed(generation, exc),
            )
        else:
            runner().run(
                first,
                pool="read",
                on_done=lambda result: self._apply_first(generation, *result),
                on_error=lambda exc: self._failed(generation, exc),
            )
        # Queued at once: the read pool has two threads and SQLite releases the GIL.
        runner().run(
            every_id,
            pool="read",
            on_done=lambda ids: self._apply_all(generation, ids),
            on_error=lambda exc: self._failed(generation, exc),
        )

    def _apply_first(
        self, generation: int, total: int, ids: list[str], rows: dict[str, CaseRow]
    ) -> None:
        if generation != self._generation or not self.loading:
            return  # stale, or every id already arrived (then this adds nothing)
        self.beginResetModel()
        self._ids = ids
        self._count = max(total, len(ids))
        self._cache = dict(rows)
        self.endResetModel()
        self.loading = False
        self.counted.emit(self._count)

    def _apply_all(self, generation: int, ids: list[str]) -> None:
        if generation != self._generation:
            return  # a newer query was started; this answer is stale
        known = len(self._ids)
        if not self.loading and len(ids) == self._count and ids[:known] == self._ids:
            # The usual case: the first screen stays as it is, the rows below get their ids.
            self._ids = ids
            if known < len(ids):
                self.dataChanged.emit(
                    self.index(known, 0), self.index(len(ids) - 1, len(COLUMNS) - 1)
                )
        else:  # the first step has not answered, or the data changed in between
            first = {i: self._cache[i] for i in ids[:FIRST_SCREEN] if i in self._cache}
            self.beginResetModel()
            self._ids = ids
            self._count = len(ids)
            self._cache = first
            self.endResetModel()
            self.loading = False
            self.counted.emit(self._count)
        self.loaded.emit(len(ids))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.loading = False
            self.failed.emit(explain(exc))

    def _row(self, row: int) -> CaseRow | None:
        if row >= len(self._ids):
            return None  # below the first screen, before every id arrived
        case_id = self._ids[row]
        cached = self._cache.get(case_id)
        if cached is None:
            # A cache miss is one indexed lookup of BLOCK primary keys: fast enough inline.
            start = max(0, row - BLOCK // 4)
            wanted = [i for i in self._ids[start : start + BLOCK] if i not in self._cache]
            self._cache.update(self.store.reader.rows_by_id(wanted))
            if len(self._cache) > 20 * BLOCK:  # keep memory flat while scrolling 100,000 rows
                keep = set(self._ids[start : start + BLOCK])
                self._cache = {k: v for k, v in self._cache.items() if k in keep}
            cached = self._cache.get(case_id)
        return cached

    # -- Qt model interface -------------------------------------------------------------------

    def case_id(self, row: int) -> str:
        return self._ids[row]

    @property
    def answered(self) -> bool:
        """A read has answered (its first screen, or its failure) since the model was created."""
        return self._generation > 0 and not self.loading

    def ids(self) -> list[str]:
        return list(self._ids)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return _(COLUMNS[section].title)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None  # (rows below the first screen, before every id arrived, too)
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.DecorationRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.UserRole,
        ):
            return None
        if role == Qt.ItemDataRole.UserRole:
            return self._ids[index.row()]
        row = self._row(index.row())
        if row is None:  # deleted since the ids were read
            return (
                _("(deleted)")
                if role == Qt.ItemDataRole.DisplayRole and index.column() == 2
                else None
            )
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DecorationRole:
            return level_icon(row.level) if column.key == "level" else None
        if role == Qt.ItemDataRole.ForegroundRole:
            closed = row.status.value in ("closed", "settled")
            return QBrush(QColor(MUTED_TEXT)) if closed else None
        text = column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return text if column.key in ("title", "fair") else None
        return text

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS) or COLUMNS[column].sort_key is None:
            return
        key = COLUMNS[column].sort_key
        assert key is not None
        self.sort_key = key
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()
