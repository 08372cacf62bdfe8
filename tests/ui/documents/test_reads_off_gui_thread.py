"""The New document form and the Documents panel (its list, its preview, the copies for the
viewer and Save as) read the database (and decrypt) on a worker thread, not on the GUI thread
at every change of kind, language or selection.

Tasks run for real here (not inline as in the other UI tests): the reading functions record
the thread they ran on, and the widgets are checked after the results arrive.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPdf import QPdfDocument
from pytestqt.qtbot import QtBot

from fairdesk import cases
from fairdesk.documents import service
from fairdesk.store import Store
from ui.tasks import runner, set_synchronous


@pytest.fixture
def real_threads() -> Iterator[list[bool]]:
    """Run tasks on their pools; yields a list of "ran on the GUI thread?" per recorded call."""
    set_synchronous(False)
    seen: list[bool] = []
    yield seen
    for pool in runner().pools.values():
        pool.waitForDone()
    set_synchronous(True)


def _recording(fn: Any, seen: list[bool]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread() is threading.main_thread())
        return fn(*args, **kwargs)

    return wrapper


def test_form_is_read_off_the_gui_thread_on_every_change(
    qtbot: QtBot, demo_store: Store, real_threads: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.documents.dialog import NewDocumentDialog

    monkeypatch.setattr(service, "check", _recording(service.check, real_threads))
    opening: list[bool] = []
    for name in ("kinds_for_case", "last_fields"):
        monkeypatch.setattr(service, name, _recording(getattr(service, name), opening))
    case_id = next(r.id for r in cases.list_cases(demo_store) if "Verfügung" in r.title)
    dialog = NewDocumentDialog(demo_store, case_id)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(dialog.inputs) and dialog.render_button.isEnabled())
    dialog.kind.setCurrentIndex(dialog.kind.findData("widerspruch"))
    dialog.language.setCurrentIndex(dialog.language.findData("de"))
    qtbot.waitUntil(lambda: "complainant" in dialog.inputs and len(real_threads) >= 3)
    assert real_threads and not any(real_threads), real_threads
    assert opening == [False, False]  # the fitting kinds and earlier values, when it opened
    label = dialog.form.labelForField(dialog.inputs["complainant"])
    assert label is not None and dialog.render_button.isEnabled()


def test_preview_is_read_and_decrypted_off_the_gui_thread(
    qtbot: QtBot, demo_store: Store, real_threads: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.features import CASE_PANELS

    case_id = next(r.id for r in cases.list_cases(demo_store) if "Verfügung" in r.title)
    service.render_document(
        demo_store,
        case_id,
        "non_infringement",
        "de",
        {"company_name": "Example Ltd"},
        allow_blanks=True,
    )
    listed: list[bool] = []
    monkeypatch.setattr(service, "read_document", _recording(service.read_document, real_threads))
    monkeypatch.setattr(service, "list_documents", _recording(service.list_documents, listed))
    from ui.documents.panel import DocumentsPanel

    panel = next(p for p in CASE_PANELS if p.key == "documents").factory(demo_store, case_id)
    assert isinstance(panel, DocumentsPanel)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert listed and not any(listed)  # the list too
    qtbot.mouseClick(
        panel.table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=panel.table.visualRect(panel.table.model().index(0, 0)).center(),
    )
    qtbot.waitUntil(lambda: panel.pdf.status() == QPdfDocument.Status.Ready)
    assert real_threads == [False]


def test_the_copy_for_save_as_is_made_off_the_gui_thread(
    qtbot: QtBot,
    demo_store: Store,
    real_threads: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    case_id = next(r.id for r in cases.list_cases(demo_store) if "Verfügung" in r.title)
    service.render_document(
        demo_store, case_id, "non_infringement", "de", {"company_name": "X"}, allow_blanks=True
    )
    monkeypatch.setattr(service, "save_copy", _recording(service.save_copy, real_threads))
    target = tmp_path / "saved.pdf"
    monkeypatch.setattr(
        "ui.documents.panel.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), "")
    )
    from ui.documents.panel import DocumentsPanel

    panel = DocumentsPanel(demo_store, case_id)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    panel.table.selectRow(0)
    panel.save_button.click()
    qtbot.waitUntil(target.exists)
    assert real_threads == [False]
    assert target.read_bytes().startswith(b"%PDF")
