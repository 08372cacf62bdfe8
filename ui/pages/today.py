"""Today: every open deadline, red cases on top, soonest first, counting down live.

Each deadline is shown in the fair's local time and in home time side by side. The list is
read again only when a case changes; the clock's tick just repaints the countdowns.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QWidget

from fairdesk.enums import Level
from fairdesk.i18n import _
from fairdesk.quickread import DeadlineRow
from fairdesk.store import Store
from ui import settings
from ui.clock import clock
from ui.models.deadlines import DeadlineTableModel
from ui.pages.common import fit_columns, page_header, page_layout, table_view
from ui.tasks import explain, runner


class TodayPage(QWidget):
    open_case = Signal(str)
    reloaded = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.answered = False  # the first read has answered: its rows or its failure are shown
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
        self.reload()

    def reload(self) -> None:
        # Plain sqlite3 (fairdesk.quickread): the first paint does not wait for the ORM.
        reader = self.store.reader
        runner().run(reader.open_deadlines, pool="read", on_done=self._show, on_error=self._failed)

    def _show(self, rows: list[DeadlineRow]) -> None:
        self.model.set_home_zone(settings.HOME_TIME_ZONE.get())
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
        self._update_summary()
        self.answered = True
        self.reloaded.emit()

    def _failed(self, exc: BaseException) -> None:
        # The rows shown before (if any) stay; the summary line says the list is not current.
        self.summary.setText(explain(exc, not_done=_("The deadlines could not be read.")))
        self.answered = True

    def _tick(self, now: datetime) -> None:
        overdue_before = self.model.overdue_count()
        self.model.tick(now)
        if self.model.overdue_count() != overdue_before:
            self._update_summary()

    def _update_summary(self) -> None:
        rows = self.model.rows()
        red = len({r.case_id for r in rows if r.case_level is Level.RED})
        self.summary.setText(
            _("Open deadlines: {deadlines} · overdue: {overdue} · red cases: {red}").format(
                deadlines=len(rows), overdue=self.model.overdue_count(), red=red
            )
        )

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_case.emit(self.model.row_at(index.row()).case_id)
