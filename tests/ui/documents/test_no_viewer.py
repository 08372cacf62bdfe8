""" "Open in viewer" where no PDF application is set up (here: the offscreen platform, which has
none) says so and offers Save as…, which writes the real PDF."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.documents import service
from fairdesk.store import Store


# Qt's own note that this platform cannot open documents: the very situation under test.
@pytest.mark.qt_log_ignore("does not support QPlatformServices", "propagateSizeHints")
def test_open_without_a_pdf_application_says_so_and_offers_save_as(
    qtbot: QtBot, demo_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.documents.panel import DocumentsPanel

    case_id = next(r.id for r in cases.list_cases(demo_store) if "榨汁机" in r.title)
    rendered = service.render_document(
        demo_store, case_id, "panel_response", "en", {"company_name": "Acme Tools GmbH"},
        fmt="pdf", paper="a4", allow_blanks=True,
    )  # fmt: skip
    panel = DocumentsPanel(demo_store, case_id)
    qtbot.addWidget(panel)
    assert rendered.document is not None
    panel.refresh(select_id=rendered.document.id)  # the user picks the document
    assert panel.current() is not None

    qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)

    notice = panel.last_notice
    assert notice is not None and notice.isVisible()
    assert "No application to open PDF files" in notice.text() and "Save as…" in notice.text()
    assert str(demo_store.data_dir / "exports") in notice.text()
    notice.grab().save(str(tmp_path / "no-viewer.png"))
    chosen = tmp_path / "sent" / "response.pdf"
    chosen.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(chosen), ""))
    save = next(
        b for b in notice.buttons() if notice.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole
    )
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    text = subprocess.run(
        ["pdftotext", str(chosen), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Acme Tools GmbH" in text
