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


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_documents_and_about_headers_fit(qtbot: QtBot, demo_store: Store, language: str) -> None:
    """Where "Documen" and "Versior" were seen: the case's Documents tab (and About's list)."""
    from fairdesk import cases
    from fairdesk.documents import service
    from ui.about import AboutDialog
    from ui.documents.panel import DocumentsPanel

    QApplication.instance().setStyleSheet(STYLESHEET)  # type: ignore[union-attr]
    set_language(language)
    try:
        case_id = next(r.id for r in cases.list_cases(demo_store) if "Verfügung" in r.title)
        service.render_document(
            demo_store, case_id, "non_infringement", "de", {"company_name": "X"}, allow_blanks=True
        )
        panel = DocumentsPanel(demo_store, case_id)
        qtbot.addWidget(panel)
        panel.resize(1200, 700)
        panel.show()
        qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
        columns = list(range(panel.table.columnCount() - 1))  # the last one stretches
        assert _cut_headers(panel.table, columns, sortable=False) == []
        about = AboutDialog()
        qtbot.addWidget(about)
        about.show()
        views = about.findChildren(QTableView)
        assert views
        for view in views:
            columns = list(range(view.model().columnCount() - 1))
            assert _cut_headers(view, columns, sortable=view.isSortingEnabled()) == []
    finally:
        set_language("en")
        QApplication.instance().setStyleSheet("")  # type: ignore[union-attr]
