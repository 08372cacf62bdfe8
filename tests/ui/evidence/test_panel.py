"""The Evidence tab with real files: import, gallery, viewer, annotate, verify, export."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from fairdesk.evidence import service
from fairdesk.evidence.vocab import CustodyAction, EvidenceKind
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import minimal_pdf, photo
from ui.evidence.panel import EvidencePanel


@pytest.fixture
def panel(qtbot: object, store: Store) -> EvidencePanel:
    widget = EvidencePanel(store, new_case(store))
    qtbot.addWidget(widget)  # type: ignore[attr-defined]
    widget.resize(1100, 700)
    widget.show()
    return widget


def _photos(folder: Path, count: int) -> list[Path]:
    return [photo(folder / f"IMG_{i:04d}.JPG", (320, 240), seed=i) for i in range(count)]


def test_import_shows_items_thumbnails_and_summary(
    panel: EvidencePanel, qtbot: object, tmp_path: Path
) -> None:
    card = tmp_path / "card"
    paths = _photos(card, 6)
    (card / "empty.jpg").write_bytes(b"")
    minimal_pdf(card / "scan.pdf")
    panel.import_paths([card, paths[0]])
    report = panel.last_report
    assert report is not None and (report.imported, report.duplicates, report.rejected) == (7, 1, 1)
    assert "7 imported · 1 already present · 1 rejected" in panel.summary.text()
    assert "empty.jpg" in panel.details.toPlainText() and "empty" in panel.details.toPlainText()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 7)  # type: ignore[attr-defined]
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: all(
            panel.model.has_thumbnail(r.sha256)
            for r in panel.model.rows
            if r.kind == EvidenceKind.IMAGE
        ),
        timeout=10000,
    )
    assert panel.progress_row.isHidden()


def test_viewer_shows_metadata_and_the_claim(panel: EvidencePanel, tmp_path: Path) -> None:
    photo(
        tmp_path / "booth.jpg",
        make="FUJIFILM",
        model="X-T5",
        gps=(52.5, 13.4),
        taken="2026:03:05 09:15:00",
        offset="+01:00",
        subsec=None,
    )
    panel.import_paths([tmp_path / "booth.jpg"])
    panel.reload()
    panel.gallery.setCurrentIndex(panel.model.index(0))
    labels = panel.viewer.meta_labels
    assert labels["camera"].text() == "FUJIFILM X-T5"
    assert "2026-03-05 09:15:00 (UTC+01:00)" in labels["captured"].text()
    assert "claim" in labels["captured"].text()
    assert labels["gps"].text() == "52.500000, 13.400000"
    panel.viewer.caption.setText("Copy at booth B12")
    panel.viewer.tags.setText("logo, packaging")
    panel.viewer.save()
    row = service.list_items(panel.store, panel.case_id)[0]
    assert row.caption == "Copy at booth B12" and row.tags == ("logo", "packaging")


def test_drop_imports_and_keyboard_moves_through_items(
    panel: EvidencePanel, qtbot: object, tmp_path: Path
) -> None:
    paths = _photos(tmp_path / "d", 3)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    panel.dropEvent(event)
    assert event.isAccepted()
    assert panel.last_report is not None and panel.last_report.imported == 3
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3)  # type: ignore[attr-defined]
    panel.gallery.setFocus()
    panel.gallery.setCurrentIndex(panel.model.index(0))
    qtbot.keyClick(panel.gallery, Qt.Key.Key_Right)  # type: ignore[attr-defined]
    assert panel.viewer.row is not None and panel.viewer.row.original_name == "IMG_0001.JPG"


def test_annotate_crop_creates_a_linked_new_item(
    panel: EvidencePanel, qtbot: object, tmp_path: Path
) -> None:
    original = photo(tmp_path / "copy.jpg", (640, 480))
    before = original.read_bytes()
    panel.import_paths([original])
    panel.reload()
    panel.gallery.setCurrentIndex(panel.model.index(0))
    source = panel.viewer.row
    assert source is not None
    dialog = panel.open_annotate()
    assert dialog is not None
    canvas = dialog.canvas
    box = canvas.picture_rect()
    start = QPoint(int(box.x() + box.width() * 0.25), int(box.y() + box.height() * 0.25))
    end = QPoint(int(box.x() + box.width() * 0.75), int(box.y() + box.height() * 0.75))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)  # type: ignore[attr-defined]
    qtbot.mouseMove(canvas, end)  # type: ignore[attr-defined]
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)  # type: ignore[attr-defined]
    dialog.save()
    rows = service.list_items(panel.store, panel.case_id)
    assert len(rows) == 2
    copy = next(r for r in rows if r.id != source.id)
    assert copy.derived_from == source.id and copy.derivation["op"] == "crop"
    assert copy.mime == "image/png" and 300 <= (copy.width or 0) <= 340
    with service.open_original(panel.store, source.sha256) as stored:  # decrypts if encrypted
        assert stored.read() == before
    assert [e.action for e in service.custody_log(panel.store, panel.case_id)] == [
        CustodyAction.IMPORT,
        CustodyAction.ANNOTATION,
    ]
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: panel.viewer.row is not None and panel.viewer.row.id == copy.id
    )


def test_side_by_side_and_arrows(panel: EvidencePanel, tmp_path: Path) -> None:
    panel.import_paths(_photos(tmp_path / "s", 2))
    panel.reload()
    panel.gallery.setCurrentIndex(panel.model.index(0))
    dialog = panel.open_annotate()
    assert dialog is not None
    dialog.set_mode("side_by_side")
    dialog.save()
    dialog = panel.open_annotate()
    assert dialog is not None
    dialog.set_mode("arrows")
    dialog.canvas.arrows.append((QPointF(20, 20), QPointF(200, 150)))
    dialog.save()
    ops = sorted(r.derivation.get("op", "") for r in service.list_items(panel.store, panel.case_id))
    assert ops == ["", "", "arrows", "side_by_side"]


def test_verify_and_export_buttons(panel: EvidencePanel, tmp_path: Path) -> None:
    panel.import_paths(_photos(tmp_path / "v", 2))
    panel.reload()
    panel.run_verify()
    assert panel.last_verify is not None and panel.last_verify.ok
    assert "Verified" in panel.summary.text()
    panel.export_to(tmp_path / "bundle.zip")
    assert panel.last_export is not None
    with zipfile.ZipFile(tmp_path / "bundle.zip") as bundle:
        assert {"manifest.json", "verify.py", "HOW-TO-VERIFY.txt"} <= set(bundle.namelist())
    row = panel.model.rows[0]
    blob = service.original_path(panel.store, row.sha256)
    blob.chmod(0o644)
    blob.write_bytes(b"tampered")
    panel.run_verify()
    assert panel.last_verify is not None and not panel.last_verify.ok
    assert row.original_name in panel.details.toPlainText()


def test_cancel_mid_import(panel: EvidencePanel, tmp_path: Path) -> None:
    paths = _photos(tmp_path / "c", 4)
    original = panel._progress

    def progress(update: object) -> None:
        original(update)
        if getattr(update, "done", 0) == 1:
            panel.cancel_import()

    panel._progress = progress  # type: ignore[method-assign]
    panel.import_paths(paths)
    report = panel.last_report
    assert report is not None and report.cancelled and report.imported == 1
    assert "cancelled" in panel.summary.text()
