"""Double-click or Enter on a gallery item opens a real viewer: the picture at full size with
zoom, its metadata beside it, previous/next by keyboard (it used to do nothing)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fairdesk.evidence.vocab import EvidenceKind
from fairdesk.i18n import set_language
from fairdesk.store import Store
from tests.fairdesk.evidence.conftest import new_case
from tests.fairdesk.evidence.helpers import photo
from ui.evidence.panel import EvidencePanel


def _panel(qtbot: QtBot, store: Store, tmp_path: Path) -> EvidencePanel:
    panel = EvidencePanel(store, new_case(store))
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    big = photo(tmp_path / "booth-wide.jpg", (2400, 1800), seed=1, make="Canon", model="EOS R6")
    small = photo(tmp_path / "detail.jpg", (800, 600), seed=2)
    notes = tmp_path / "notes.txt"
    notes.write_text("hall 3, booth B12\n")
    panel.import_paths([big, small, notes])
    panel.reload()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3)
    return panel


def test_enter_opens_full_size_with_zoom_metadata_and_keyboard_paging(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    panel = _panel(qtbot, store, tmp_path)
    names = [panel.model.row_at(i).display_name for i in range(3)]  # type: ignore[union-attr]
    first = names.index("booth-wide.jpg")
    panel.gallery.setFocus()
    panel.gallery.setCurrentIndex(panel.model.index(first))

    qtbot.keyClick(panel.gallery, Qt.Key.Key_Return)

    viewer = panel.photo_viewer
    assert viewer is not None and viewer.isVisible()
    pixmap = viewer.canvas.item.pixmap()
    assert (pixmap.width(), pixmap.height()) == (2400, 1800)  # the full picture, not a preview
    assert viewer.meta_labels["name"].text() == "booth-wide.jpg"
    assert viewer.meta_labels["camera"].text() == "Canon EOS R6"
    assert viewer.meta_labels["pixels"].text() == "2400 × 1800"
    assert viewer.meta_labels["sha256"].text().replace("\n", "") == viewer.row.sha256  # type: ignore[union-attr]
    fitted = viewer.canvas.zoom()
    assert fitted < 1  # fits the window first
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert viewer.canvas.zoom() > fitted
    qtbot.keyClick(viewer, Qt.Key.Key_1)
    assert viewer.canvas.zoom() == 1.0 and viewer.zoom_label.text() == "100 %"
    qtbot.keyClick(viewer, Qt.Key.Key_0)
    assert viewer.canvas.zoom() == fitted
    viewer.grab().save(str(tmp_path / "viewer.png"))
    meta = viewer.meta_labels["captured"]
    assert "camera clock: a claim, not proof" in meta.text()
    assert meta.width() <= meta.parentWidget().width()  # type: ignore[union-attr]

    # Right/Left walk the gallery in its order; a file that is not a picture says so.
    seen = {viewer.meta_labels["name"].text()}
    for _step in range(2):
        qtbot.keyClick(viewer, Qt.Key.Key_Right if first == 0 else Qt.Key.Key_Left)
        seen.add(viewer.meta_labels["name"].text())
        if viewer.row is not None and viewer.row.kind != EvidenceKind.IMAGE:
            assert "No picture to show" in viewer.canvas.message.text()
    if len(seen) < 3:  # booth-wide.jpg was in the middle: the other side holds the rest
        viewer.show_index(2 - first)
        seen.add(viewer.meta_labels["name"].text())
    assert seen == set(names)
    viewer.show_index(names.index("detail.jpg"))
    detail = viewer.canvas.item.pixmap()
    assert (detail.width(), detail.height()) == (800, 600)
    assert viewer.meta_labels["position"].text() == f"{names.index('detail.jpg') + 1} of 3"


def test_double_click_opens_the_viewer_in_chinese(
    qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    set_language("zh_CN")
    try:
        panel = _panel(qtbot, store, tmp_path)
        index = panel.model.index(0)
        rect = panel.gallery.visualRect(index)
        # A real double-click: press and release, then the second press arrives as a double.
        qtbot.mouseClick(panel.gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        viewer = panel.photo_viewer
        assert viewer is not None and viewer.isVisible()
        assert viewer.next_button.text() == "下一个 ▶"
        viewer.grab().save(str(tmp_path / "viewer-zh.png"))
    finally:
        set_language("en")
