"""The Documents panel renders a document through the dialog and previews it with QtPdf."""

from __future__ import annotations

import pytest
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.documents import service
from fairdesk.i18n import set_language
from fairdesk.store import Store
from ui.documents.panel import DocumentsPanel
from ui.features import CASE_PANELS


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_panel_renders_via_dialog_and_previews(
    qtbot: QtBot, demo_store: Store, language: str, tmp_path: object
) -> None:

    set_language(language)
    case_id = next(r.id for r in cases.list_cases(demo_store) if "榨汁机" in r.title)
    panel_def = next(p for p in CASE_PANELS if p.key == "documents")
    panel = panel_def.factory(demo_store, case_id)
    assert isinstance(panel, DocumentsPanel)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    dialog = panel.new_document()
    dialog.kind.setCurrentIndex(dialog.kind.findData("panel_response"))
    dialog.language.setCurrentIndex(dialog.language.findData("de"))
    complainant = dialog.inputs.get("complainant")
    assert isinstance(complainant, QLineEdit) and complainant.text()  # from the case
    dialog.set_field("company_name", "Größe GmbH")
    dialog.generate()  # required fields missing: the dialog says which, nothing is stored
    assert dialog.isVisible() and "signatory_name" in dialog.status.text()
    assert service.list_documents(demo_store, case_id) == []
    dialog.blanks.setChecked(True)
    dialog.generate()
    assert not dialog.isVisible()
    docs = service.list_documents(demo_store, case_id)
    assert [(d.kind, d.language, d.version) for d in docs] == [("panel_response", "de", 1)]
    assert panel.table.rowCount() == 1 and panel.current() is not None
    assert panel.pdf.status() == QPdfDocument.Status.Ready
    assert panel.pdf.pageCount() >= 1
    assert "Größe GmbH" in panel.pdf.getAllText(0).text()
    panel.grab().save(str(tmp_path / f"panel-{language}.png"))  # type: ignore[operator]
    dialog2 = panel.new_document()
    company = dialog2.inputs["company_name"]
    assert isinstance(company, QLineEdit) and company.text() == "Größe GmbH"  # remembered
    dialog2.grab().save(str(tmp_path / f"dialog-{language}.png"))  # type: ignore[operator]
    dialog2.reject()


def test_a_document_saved_elsewhere_joins_the_open_list(qtbot: QtBot, demo_store: Store) -> None:
    """Rendered by another window or pulled from HQ: the open tab shows it without a reopen."""
    case_id = next(r.id for r in cases.list_cases(demo_store) if "榨汁机" in r.title)
    panel = DocumentsPanel(demo_store, case_id)
    qtbot.addWidget(panel)
    assert panel.table.rowCount() == 0
    service.render_document(demo_store, case_id, "panel_response", "en", allow_blanks=True)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
