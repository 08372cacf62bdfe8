"""After a new render the Documents preview shows the document just rendered, not the one
selected before (reported: the preview kept showing the previous document)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtPdf import QPdfDocument
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.store import Store
from ui.documents.panel import DocumentsPanel
from ui.features import CASE_PANELS


def _render(qtbot: QtBot, panel: object, company: str) -> None:
    dialog = panel.new_document()  # type: ignore[attr-defined]
    dialog.kind.setCurrentIndex(dialog.kind.findData("panel_response"))
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    dialog.set_field("company_name", company)
    dialog.blanks.setChecked(True)
    qtbot.mouseClick(dialog.render_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def _preview_text(panel: DocumentsPanel) -> str:
    pdf = panel.pdf
    assert pdf.status() == QPdfDocument.Status.Ready
    return "\n".join(pdf.getAllText(page).text() for page in range(pdf.pageCount()))


def test_preview_shows_the_document_just_rendered(qtbot: QtBot, demo_store: Store) -> None:

    case_id = next(r.id for r in cases.list_cases(demo_store) if "榨汁机" in r.title)
    panel_def = next(p for p in CASE_PANELS if p.key == "documents")
    panel = panel_def.factory(demo_store, case_id)
    assert isinstance(panel, DocumentsPanel)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    _render(qtbot, panel, "Alpha Trading GmbH")
    assert "Alpha Trading GmbH" in _preview_text(panel)
    # The user clicks the first version in the list, then renders a new one.
    qtbot.mouseClick(
        panel.table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=panel.table.visualRect(panel.table.model().index(0, 0)).center(),
    )
    _render(qtbot, panel, "Beta Export Ltd")
    current = panel.current()
    assert current is not None and current.version == 2
    text = _preview_text(panel)
    assert "Beta Export Ltd" in text and "Alpha Trading GmbH" not in text
    assert current.sha256[:16] in panel.info.text() or "SHA-256" in panel.info.text()
