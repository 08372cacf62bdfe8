"""Today: every open deadline, red cases on top, soonest first, counting down live.

Each deadline is shown in the fair's local time and in home time side by side. The list is
read again only when a case changes; the clock's tick just repaints the countdowns.

The list holds at most ``TODAY_LIMIT`` deadlines (red cases' first, so none of them is pushed
out by a later one). When it is full, the summary line counts every open deadline in SQL
instead of the rows held, and says how many are listed: a responder must never read "500"
when 4,000 are open, or miss that red cases exist beyond the list.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QWidget

from fairdesk.enums import Level
from fairdesk.i18n import _
from fairdesk.quickread import TODAY_LIMIT, DeadlineCounts, DeadlineRow
from fairdesk.store import Store
from ui import settings
from ui.clock import clock
from ui.models.deadlines import DeadlineTableModel
from ui.pages.common import fit_columns, page_header, page_layout, table_view
from ui.tasks import EarlyRead, explain, runner


def early_rows(store: Store) -> EarlyRead[list[DeadlineRow]]:
    """Today's rows, read while the window is built (see ``EarlyRead``)."""
    return EarlyRead(TODAY_LIMIT, store.reader.open_deadlines, limit=TODAY_LIMIT)


class TodayPage(QWidget):
    open_case = Signal(str)
    reloaded = Signal()  # a read has answered: its rows are shown, or its failure is said

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        early: EarlyRead[list[DeadlineRow]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.answered = False  # the first read has answered: its rows or its failure are shown
        # Counts over every open deadline when the list is capped (None: not capped, or the
        # count has not answered yet); the generation drops the answer of an older read.
        self.counts: DeadlineCounts | None = None
        self._generation = 0
        self._reads = 0  # reloads started; an older read's rows arriving late are dropped
        layout = page_layout(self)
        header, self.title, self.summary = page_header(_("Today"))
        layout.addWidget(header)
        self.model = DeadlineTableModel(settings.HOME_TIME_ZONE.get(), clock().now(), self)
        self.view = table_view()
        self.view.setModel(self.model)
        head = self.view.horizontalHeader()
        head.setStretchLastSection(False)
        # Case and deadline text share the room; the short columns are sized once from sample
        # text (ResizeToContents would re-read every row on each one-second countdown tick).
        head.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        fit_columns(
            self.view,
            {
                0: _("Yellow"),
                1: _("overdue by {duration}").format(duration="23h 59m"),
                4: "12-31 23:59 UTC+04",
                5: "12-31 23:59 UTC+04",
            },
        )
        self.view.activated.connect(self._activated)
        layout.addWidget(self.view, 1)
        self.empty = QLabel(_("No open deadlines. New emergency: Ctrl+N."))
        self.empty.setObjectName("subtitle")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout.addWidget(self.empty)
        clock().tick.connect(self._tick)
        if early is not None:  # dropped, like an older read, if a reload started meanwhile
            early.take(lambda rows: self._show(rows) if not self._reads else None, self._failed)
        else:
            self.reload()

    def reload(self) -> None:
        # Plain sqlite3 (fairdesk.quickread): the first paint does not wait for the ORM.
        # Two reads may overlap on the two read threads: only the newest one's rows are shown.
        self._reads += 1
        read = self._reads
        runner().run(
            self.store.reader.open_deadlines,
            limit=TODAY_LIMIT,
            pool="read",
            on_done=lambda rows: self._show(rows) if read == self._reads else None,
            on_error=self._failed,
            owner=self,
        )

    def _show(self, rows: list[DeadlineRow]) -> None:
        self.model.set_home_zone(settings.HOME_TIME_ZONE.get())
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
        self.counts = None
        self._generation += 1
        self._update_summary()
        if self.capped():
            self._count_all()
        self.answered = True
        self.reloaded.emit()

    def capped(self) -> bool:
        """The list is full: more open deadlines may exist than it holds."""
        return self.model.rowCount() >= TODAY_LIMIT

    def _count_all(self) -> None:
        generation = self._generation
        runner().run(
            self.store.reader.deadline_counts,
            clock().now(),
            pool="read",
            on_done=lambda counts: self._counted(generation, counts),
            on_error=self._failed,
        )

    def _counted(self, generation: int, counts: DeadlineCounts) -> None:
        if generation == self._generation:  # else a newer list (and count) is on its way
            self.counts = counts
            self._update_summary()

    def _failed(self, exc: BaseException) -> None:
        # The rows shown before (if any) stay; the summary line says the list is not current.
        self.summary.setText(explain(exc, not_done=_("The deadlines could not be read.")))
        self.answered = True
        self.reloaded.emit()

    def _tick(self, now: datetime) -> None:
        overdue_before = self.model.overdue_count()
        self.model.tick(now)
        if self.model.overdue_count() != overdue_before:
            if self.capped():
                self._count_all()  # a listed deadline fell due: count the overdue ones again
            else:
                self._update_summary()

    def _update_summary(self) -> None:
        rows = self.model.rows()
        if not self.capped():
            red = len({r.case_id for r in rows if r.case_level is Level.RED})
            self.summary.setText(
                _("Open deadlines: {deadlines} · overdue: {overdue} · red cases: {red}").format(
                    deadlines=len(rows), overdue=self.model.overdue_count(), red=red
                )
            )
        elif self.counts is None:
            self.summary.setText(
                _(
                    "The {listed} most urgent open deadlines are listed; counting all of them…"
                ).format(listed=len(rows))
            )
        else:
            self.summary.setText(
                _(
                    "Open deadlines: {deadlines} · overdue: {overdue} · red cases: {red}"
                    " · the {listed} most urgent are listed"
                ).format(
                    deadlines=self.counts.open,
                    overdue=self.counts.overdue,
                    red=self.counts.red_cases,
                    listed=len(rows),
                )
            )

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_case.emit(self.model.row_at(index.row()).case_id)
