"""Table headers are never cut ("Documen", "Versior"): every fitted column is at least as wide
as its bold header title plus the padding the stylesheet gives it (and the sort arrow)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from fairdesk.i18n import set_language
from fairdesk.store import Store
from ui.theme import STYLESHEET

SECTION_PADDING = 2 * 6 + 1  # QHeaderView::section padding 5px 6px, plus its right border
SORT_ARROW = 16


def _cut_headers(view: QTableView, columns: list[int], sortable: bool) -> list[str]:
    header = view.horizontalHeader()
    font = header.font()
    font.setBold(True)  # the stylesheet draws header titles bold
    metrics = QFontMetrics(font)
    cut = []
    for column in columns:
        title = str(view.model().headerData(column, header.orientation()) or "")
        needed = (
            metrics.horizontalAdvance(title) + SECTION_PADDING + (SORT_ARROW if sortable else 0)
        )
        if view.columnWidth(column) < needed:
            cut.append(f"{title!r}: {view.columnWidth(column)} < {needed}")
    return cut


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_cases_and_today_headers_fit(qtbot: QtBot, store: Store, language: str) -> None:
    from ui.pages.cases import CasesPage
    from ui.pages.today import TodayPage

    QApplication.instance().setStyleSheet(STYLESHEET)  # type: ignore[union-attr]
    set_language(language)
    try:
        cases_page = CasesPage(store)
        today = TodayPage(store)
        for page in (cases_page, today):
            qtbot.addWidget(page)
            page.resize(1400, 700)
            page.show()
        head = cases_page.view.horizontalHeader()
        fitted = [c for c in range(head.count()) if head.sectionResizeMode(c).name == "Interactive"]
        assert fitted
        assert _cut_headers(cases_page.view, fitted, sortable=True) == []
        today_view = today.findChild(QTableView)
        assert today_view is not None
        today_head = today_view.horizontalHeader()
        fitted = [
            c
            for c in range(today_head.count())
            if today_head.sectionResizeMode(c).name == "Interactive"
        ]
        assert _cut_headers(today_view, fitted, sortable=today_view.isSortingEnabled()) == []
    finally:
        set_language("en")
        QApplication.instance().setStyleSheet("")  # type: ignore[union-attr]
