"""Cases: every case, sortable and filterable, with search as you type.

Typing restarts a short debounce timer; when it fires the query runs on the ``read`` pool
and the model drops answers that a newer query has superseded, so the GUI thread never waits
on the database however many cases there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QHeaderView, QLineEdit, QWidget

from fairdesk.enums import Direction, Level, Status
from fairdesk.i18n import _
from fairdesk.quickread import CaseFilter, CaseRow, FairChoice
from fairdesk.store import Store
from ui.formatting import label
from ui.models.cases import COLUMNS, CaseTableModel
from ui.pages.common import fit_columns, page_header, page_layout, table_view
from ui.tasks import EarlyRead, runner
from ui.theme import level_icon

if TYPE_CHECKING:
    from PySide6.QtGui import QShowEvent

SEARCH_DEBOUNCE_MS = 180


class CasesPage(QWidget):
    open_case = Signal(str)

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        early: EarlyRead[tuple[int, list[str], dict[str, CaseRow]]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        layout = page_layout(self)
        header, self.title, self.summary = page_header(_("Cases"))
        layout.addWidget(header)

        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Search number, title, parties, rights, notes…"))
        # The clear button's icon loads when it is turned on (1-3 ms of the start, in the
        # window's style); the page is hidden at start, so it is turned on when first shown.
        self.search.setMinimumWidth(300)
        bar.addWidget(self.search, 2)
        self.level = self._combo(_("All levels"), [(label(v), v.value) for v in Level])
        for i, value in enumerate(Level, start=1):
            self.level.setItemIcon(i, level_icon(value))
        self.status = self._combo(
            _("All statuses"),
            [(_("Open and active"), "active")] + [(label(v), v.value) for v in Status],
        )
        self.direction = self._combo(_("Both directions"), [(label(v), v.value) for v in Direction])
        # Filled from the read pool with plain sqlite3 (fairdesk.quickread), like the list.
        self.fair = self._combo(_("All fairs"), [])
        runner().run(store.reader.fair_choices, pool="read", on_done=self._fill_fairs)
        for combo in (self.level, self.status, self.direction, self.fair):
            bar.addWidget(combo, 1)
            combo.currentIndexChanged.connect(self.apply_filter)
        layout.addLayout(bar)

        self.model = CaseTableModel(store, self, early=early)
        self.model.counted.connect(self._loaded)
        self.model.failed.connect(lambda message: self.summary.setText(message))
        self.view = table_view()
        self.view.setModel(self.model)
        # Indicator first, then sorting on: Qt sorts (= loads) once. The other way round the
        # model loaded twice at start-up, the first query only to be thrown away.
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        head = self.view.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        head.setStretchLastSection(False)
        # Fixed widths (not ResizeToContents: that would read every one of 100,000 rows).
        samples = {
            "level": _("Yellow"),
            "number": "WWWW-0000",
            "status": _("Responding"),
            "direction": _("Against us"),
            "fair": "Automechanika Frankfurt",
            "next_deadline": "12-31 23:59 UTC+04",
        }
        for column, spec in enumerate(COLUMNS):
            if spec.key not in samples:
                head.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        fit_columns(
            self.view, {i: samples[c.key] for i, c in enumerate(COLUMNS) if c.key in samples}
        )
        self.view.activated.connect(self._activated)
        layout.addWidget(self.view, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._search_now)
        # setSortingEnabled(True) already asked the model to sort, which loads it.

    def showEvent(self, event: QShowEvent) -> None:
        self.search.setClearButtonEnabled(True)  # (see __init__; nothing happens the next time)
        super().showEvent(event)

    def _combo(self, everything: str, items: Sequence[tuple[str, str]]) -> QComboBox:
        combo = QComboBox()
        combo.addItem(everything, None)
        for text, value in items:
            combo.addItem(text, value)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        return combo

    def _fill_fairs(self, fairs: list[FairChoice]) -> None:
        for fair in fairs:
            self.fair.addItem(fair.name, fair.id)

    def current_filter(self) -> CaseFilter:
        level, status = self.level.currentData(), self.status.currentData()
        direction, fair = self.direction.currentData(), self.fair.currentData()
        return CaseFilter(
            search=self.search.text(),
            levels=(Level(level),) if level else (),
            statuses=(Status(status),) if status and status != "active" else (),
            include_closed=status != "active",
            directions=(Direction(direction),) if direction else (),
            fair_id=fair or None,
        )

    def _search_now(self) -> None:
        self._debounce.stop()
        self.apply_filter()

    def apply_filter(self) -> None:
        self.model.reload(self.current_filter())

    def reload(self) -> None:
        self.model.reload()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _loaded(self, count: int) -> None:
        self.summary.setText(
            _("1 case") if count == 1 else _("{count} cases").format(count=f"{count:,}")
        )

    def _activated(self, index: QModelIndex) -> None:
        # None for a row whose id has not arrived yet (see ui.models.cases): nothing to open.
        case_id = self.model.data(index, Qt.ItemDataRole.UserRole) if index.isValid() else None
        if case_id:
            self.open_case.emit(case_id)
