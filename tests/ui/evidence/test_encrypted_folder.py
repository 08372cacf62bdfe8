"""The Evidence tab on an ENCRYPTED data folder: real pictures, never the generic icon;
and the password-protected export from the Export dialog.

Thumbnail files are AES-GCM ciphertext there, so the gallery, viewer and annotate dialog
must decode the decrypted bytes (``service.thumbnail_bytes``), not the file at a path.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QDialogButtonBox

from fairdesk.crypto import blobcrypt
from fairdesk.evidence import service, thumbs
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo
from ui.evidence.annotate_dialog import AnnotateDialog
from ui.evidence.gallery import ICON_SIZE
from ui.evidence.panel import EvidencePanel

RED = (200, 30, 40)


def _close(pixel: QColor, rgb: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(
        abs(a - b) <= tolerance
        for a, b in zip((pixel.red(), pixel.green(), pixel.blue()), rgb, strict=True)
    )


@pytest.fixture
def panel(qtbot: object, encrypted_store: Store) -> EvidencePanel:
    widget = EvidencePanel(encrypted_store, new_case(encrypted_store))
    qtbot.addWidget(widget)  # type: ignore[attr-defined]
    widget.resize(1000, 650)
    widget.show()
    return widget


def test_gallery_viewer_and_annotate_show_the_real_picture(
    panel: EvidencePanel, qtbot: object, tmp_path: Path
) -> None:
    panel.import_paths([photo(tmp_path / "red.jpg", (400, 300), color=RED)])
    panel.reload()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)  # type: ignore[attr-defined]
    row = panel.model.rows[0]
    # The thumbnail on disk is ciphertext: only the decrypted bytes are a picture.
    on_disk = thumbs.thumb_path(panel.store.data_dir, row.sha256, 256, encrypted=True)
    panel.model.data(panel.model.index(0), 1)  # DecorationRole: starts the background load
    qtbot.waitUntil(lambda: panel.model.has_thumbnail(row.sha256), timeout=10000)  # type: ignore[attr-defined]
    assert blobcrypt.has_magic(on_disk) and QImage(str(on_disk)).isNull()

    icon = panel.model.data(panel.model.index(0), 1)
    assert isinstance(icon, QPixmap)
    image = icon.toImage()
    assert max(image.width(), image.height()) == ICON_SIZE
    # Lower part of the photo is red, the top band white: a generic icon has neither.
    assert _close(image.pixelColor(image.width() // 2, image.height() * 3 // 4), RED)
    assert _close(image.pixelColor(image.width() // 2, 3), (255, 255, 255))

    panel.gallery.setCurrentIndex(panel.model.index(0))
    qtbot.waitUntil(lambda: panel.viewer.picture._pixmap is not None)  # type: ignore[attr-defined]
    shown = panel.viewer.picture._pixmap
    assert shown is not None
    big = shown.toImage()
    assert _close(big.pixelColor(big.width() // 2, big.height() * 3 // 4), RED)

    dialog = AnnotateDialog(panel.store, row, panel.model.rows, panel)
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    canvas_image = dialog.canvas.image
    assert canvas_image is not None and not canvas_image.isNull()
    assert (canvas_image.width(), canvas_image.height()) == (400, 300)
    assert _close(canvas_image.pixelColor(200, 250), RED)


def test_thumbnail_bytes_remakes_a_damaged_cached_thumbnail(
    encrypted_store: Store, tmp_path: Path
) -> None:
    case_id = new_case(encrypted_store)
    service.import_paths(encrypted_store, case_id, [photo(tmp_path / "a.jpg", color=RED)])
    sha = service.list_items(encrypted_store, case_id)[0].sha256
    first = service.thumbnail_bytes(encrypted_store, sha, 128)
    assert first is not None and first[:2] == b"\xff\xd8"
    cached = thumbs.thumb_path(encrypted_store.data_dir, sha, 128, encrypted=True)
    cached.write_bytes(cached.read_bytes()[:-5])  # truncated: fails authentication
    again = service.thumbnail_bytes(encrypted_store, sha, 128)
    assert again is not None and again[:2] == b"\xff\xd8"


def test_export_dialog_password_and_confirm_then_protected_bundle(
    panel: EvidencePanel, tmp_path: Path
) -> None:
    panel.import_paths([photo(tmp_path / "red.jpg", (200, 150), color=RED)])
    panel.reload()
    dialog = panel.choose_export()
    export = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.path_edit.setText(str(tmp_path / "out" / "case.zip"))
    assert export.isEnabled() and "Anyone" in dialog.hint.text()
    dialog.protect.setChecked(True)
    assert not export.isEnabled() and "at least 8" in dialog.hint.text()
    dialog.password.setText("Halle 3 Stand B12")
    dialog.confirm.setText("Halle 3 Stand B1")
    assert not export.isEnabled() and "not the same" in dialog.hint.text()
    dialog.confirm.setText("Halle 3 Stand B12")
    assert export.isEnabled() and "case.zip.fdenc" in dialog.hint.text()
    export.click()  # the export runs inline in tests (ui.tasks synchronous)

    result = panel.last_export
    assert result is not None and result.path == tmp_path / "out" / "case.zip.fdenc"
    assert sorted(p.name for p in result.path.parent.iterdir()) == [
        "case.zip.fdenc",
        "case.zip.fdenc.HOW-TO-OPEN.txt",
    ]
    assert "protected with a password" in panel.summary.text()
    opened = tmp_path / "opened.zip"
    blobcrypt.decrypt_file_with_password(result.path, opened, "Halle 3 Stand B12")
    with zipfile.ZipFile(opened) as bundle:
        assert hashlib.sha256(opened.read_bytes()).hexdigest() == result.sha256
        assert "manifest.json" in bundle.namelist()
