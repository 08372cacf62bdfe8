"""The Today table: open deadlines, red cases first, soonest first, with live countdowns.

The rows come from ``Reader.open_deadlines`` once per change, red cases' first; each clock
tick only recomputes the countdown column from the rows already held (no query per tick).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from fairdesk.enums import Level
from fairdesk.i18n import N_, _
from fairdesk.quickread import DeadlineRow
from ui.formatting import countdown, label, local_time
from ui.theme import OVERDUE_TEXT, level_icon

Index = QModelIndex | QPersistentModelIndex

COLUMNS = (
    ("level", N_("Level")),
    ("countdown", N_("Time left")),
    ("case", N_("Case")),
    ("what", N_("Deadline")),
    ("fair_time", N_("Fair time")),
    ("home_time", N_("Home time")),
)
COUNTDOWN_COLUMN = 1
# Roles this model answers; Qt asks each cell for a dozen more on every paint and size hint.
_ROLES = frozenset(
    (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.UserRole,
    )
)


class DeadlineTableModel(QAbstractTableModel):
    def __init__(self, home_zone: str, now: datetime, parent: Any = None) -> None:
        super().__init__(parent)
        self.home_zone = home_zone
        self.now = now
        self._rows: list[DeadlineRow] = []
        # The two time columns of each row, formatted once: Qt asks for a cell's text several
        # times per paint (size hints, elision), and a zone-aware format is the costly part.
        self._times: dict[tuple[int, str], str] = {}
        # Made once: Qt asks for them on every paint, and the countdown column repaints each
        # second (a new QFont per cell per paint cost ~1 ms of a 16 ms paint).
        # A colour, not a QBrush: Qt paints ForegroundRole colours the same, and creating the
        # first QBrush makes PySide6 build the Python enums of QGradient and QImage (~5 ms
        # of the start-up, before the first paint).
        self._overdue_colour = QColor(OVERDUE_TEXT)
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: list[DeadlineRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)  # in Today's order already: the readers sort red cases first
        self._times.clear()
        self.endResetModel()

    def rows(self) -> list[DeadlineRow]:
        return list(self._rows)

    def row_at(self, row: int) -> DeadlineRow:
        return self._rows[row]

    def tick(self, now: datetime) -> None:
        """Advance the countdowns; repaints the countdown column only."""
        self.now = now
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._rows) - 1, len(COLUMNS) - 1),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole],
            )

    def set_home_zone(self, home_zone: str) -> None:
        self.home_zone = home_zone
        self._times.clear()
        self.tick(self.now)

    def overdue_count(self) -> int:
        return sum(1 for r in self._rows if r.due_at < self.now)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

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
            return _(COLUMNS[section][1])
        return None

    def _time(self, row_number: int, row: DeadlineRow, key: str) -> str:
        text = self._times.get((row_number, key))
        if text is None:
            zone = row.fair_time_zone if key == "fair_time" else self.home_zone
            text = self._times[(row_number, key)] = local_time(row.due_at, zone, year=False)
        return text

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        overdue = row.due_at < self.now
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "level":
                return label(row.case_level)
            if key == "countdown":
                return countdown(row.due_at, self.now)[0]
            if key == "case":
                return f"{row.case_number}  {row.case_title}"
            if key == "what":
                return row.what
            return self._time(index.row(), row, key)  # fair_time, home_time
        if role == Qt.ItemDataRole.DecorationRole and key == "level":
            return level_icon(row.case_level)
        if role == Qt.ItemDataRole.ForegroundRole and overdue and key in ("countdown", "what"):
            return self._overdue_colour
        if role == Qt.ItemDataRole.FontRole and key == "countdown":
            return self._bold if overdue or row.case_level is Level.RED else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(
                (
                    f"{row.case_number}  {row.case_title}",
                    row.what,
                    local_time(row.due_at, row.fair_time_zone),
                    local_time(row.due_at, self.home_zone),
                )
            )
        if role == Qt.ItemDataRole.UserRole:
            return row.case_id
        return None
