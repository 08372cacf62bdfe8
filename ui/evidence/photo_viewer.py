"""The full-size photo viewer: the picture large, zoomable, its metadata beside it, and the
previous/next item of the gallery by keyboard.

Opened from the Evidence tab by double-click or Enter on a gallery item. The picture is a
display copy made from the original at up to :data:`DISPLAY_SIZE` pixels on its long side
(upright, cached and, in an encrypted folder, encrypted like every thumbnail); the original is
never decoded on the GUI thread and never changed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeyEvent, QKeySequence, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fairdesk.evidence import service
from fairdesk.evidence.rows import ItemRow
from fairdesk.evidence.verify import held_by_hq
from fairdesk.evidence.vocab import EvidenceKind, kind_label
from fairdesk.i18n import _
from fairdesk.store import Store
from ui.evidence.fetching import Fetch, HqFetches, held_text
from ui.evidence.gallery import image_from_bytes
from ui.evidence.viewer import capture_text, human_size
from ui.tasks import runner
from ui.theme import SPACING, VIEWER_TEXT

DISPLAY_SIZE = 4096  # long side of the display copy: sharp on a 4K screen at 100 %
ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.05, 8.0


def load_display_image(store: Store, sha256: str) -> QImage | None:
    """The display copy of a picture (None: not a picture, missing or damaged)."""
    data = service.thumbnail_bytes(store, sha256, DISPLAY_SIZE)
    return None if data is None else image_from_bytes(data)


class _Canvas(QGraphicsView):
    """The picture; Ctrl+wheel zooms around the pointer, dragging pans."""

    def __init__(self) -> None:
        super().__init__()
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(Qt.GlobalColor.black)
        self.setObjectName("photoCanvas")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the viewer (previous/next)
        self.message = QLabel(self)
        self.message.setStyleSheet(f"color: {VIEWER_TEXT};")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.fitted = True

    def set_picture(self, pixmap: QPixmap | None, text: str = "") -> None:
        self.item.setPixmap(pixmap if pixmap is not None else QPixmap())
        self.scene().setSceneRect(self.item.boundingRect())
        self.message.setText(text)
        self.message.setVisible(pixmap is None)
        self.fit()

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self.resetTransform()
        self.scale(factor, factor)
        self.fitted = False

    def fit(self) -> None:
        self.resetTransform()
        if not self.item.pixmap().isNull():
            self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
        self.fitted = True

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP
            self.set_zoom(self.zoom() * step)
            event.accept()
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.message.setGeometry(self.viewport().geometry())
        if self.fitted:
            self.fit()


class PhotoViewer(QDialog):
    """One gallery item at a time; ``row_at(i)`` and ``count()`` are the gallery's."""

    def __init__(
        self,
        store: Store,
        row_at: Callable[[int], ItemRow | None],
        count: Callable[[], int],
        index: int,
        parent: QWidget | None = None,
        fetches: HqFetches | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        # Originals only HQ holds are downloaded when shown (progress on the canvas).
        self.fetches = fetches
        if fetches is not None:
            fetches.changed.connect(self._fetch_changed)
        self.row_at, self.count = row_at, count
        self.index = index
        self.row: ItemRow | None = None
        self.setWindowTitle(_("Evidence"))
        self.resize(1200, 800)

        self.canvas = _Canvas()
        self.meta_labels: dict[str, QLabel] = {}
        meta = QFormLayout()
        meta.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # long values never clip
        for key, label in (
            ("name", _("File name")),
            ("position", _("Item")),
            ("kind", _("Type")),
            ("captured", _("Taken")),
            ("gps", _("Position (GPS)")),
            ("camera", _("Camera")),
            ("pixels", _("Pixels")),
            ("size", _("Size")),
            ("caption", _("Caption")),
            ("shows", _("What it shows")),
            ("sha256", _("SHA-256")),
        ):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if key == "sha256":
                value.setStyleSheet("font-family: monospace;")
            meta.addRow(label, value)
            self.meta_labels[key] = value
        meta_box = QWidget()
        meta_box.setLayout(meta)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(meta_box)
        scroll.setMinimumWidth(300)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.previous_button = QPushButton(_("◀ Previous"))
        self.next_button = QPushButton(_("Next ▶"))
        self.zoom_out_button = QPushButton("−")
        self.zoom_in_button = QPushButton("+")
        self.fit_button = QPushButton(_("Fit"))
        self.actual_button = QPushButton("100 %")
        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("subtitle")
        self.hint = QLabel(_("←/→ previous/next · +/− zoom · 0 fit · 1 actual size · Esc close"))
        self.hint.setObjectName("subtitle")
        bar = QHBoxLayout()
        for widget in (
            self.previous_button,
            self.next_button,
            self.zoom_out_button,
            self.zoom_in_button,
            self.fit_button,
            self.actual_button,
            self.zoom_label,
        ):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the viewer
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.hint)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.canvas)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setSpacing(SPACING // 2)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self.previous_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.fit_button.clicked.connect(self.fit)
        self.actual_button.clicked.connect(self.actual_size)
        K = Qt.Key
        self.keys: dict[Qt.Key, Callable[[], None]] = {
            K.Key_Right: self.next,
            K.Key_PageDown: self.next,
            K.Key_Space: self.next,
            K.Key_Left: self.previous,
            K.Key_PageUp: self.previous,
            K.Key_Backspace: self.previous,
            K.Key_Plus: self.zoom_in,
            K.Key_Equal: self.zoom_in,
            K.Key_Minus: self.zoom_out,
            K.Key_0: self.fit,
            K.Key_1: self.actual_size,
        }
        self.show_index(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Handled here, not by the picture: a graphics view would take the arrows to scroll.
        action = self.keys.get(Qt.Key(event.key()))
        if event.matches(QKeySequence.StandardKey.ZoomIn):
            action = self.zoom_in
        elif event.matches(QKeySequence.StandardKey.ZoomOut):
            action = self.zoom_out
        if action is None:
            super().keyPressEvent(event)  # Esc closes
            return
        action()
        event.accept()

    # -- navigation ------------------------------------------------------------------------

    def show_index(self, index: int) -> None:
        total = self.count()
        if not 0 <= index < total:
            return
        row = self.row_at(index)
        if row is None:  # the gallery has not read that page yet
            return
        self.index, self.row = index, row
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < total - 1)
        self._show_meta(row, index, total)
        self._update_zoom_label()
        self._show_picture(row)

    def _fetch_changed(self, sha256: str) -> None:
        if self.row is not None and self.row.sha256 == sha256:
            self._show_picture(self.row)

    def _show_picture(self, row: ItemRow) -> None:
        if (
            self.fetches is not None
            and row.kind == EvidenceKind.IMAGE
            and held_by_hq(row.integrity, row.device_id, self.store.device.id)
        ):
            held = self.fetches.want(row)
            if held.state is not Fetch.HERE:
                self.canvas.set_picture(None, held_text(held))
                return
        self.canvas.set_picture(None, _("Loading…"))
        wanted = row.sha256

        def shown(image: QImage | None) -> None:
            if self.row is None or self.row.sha256 != wanted:  # moved on meanwhile
                return
            if image is None:
                kind = _(kind_label(row.kind))
                self.canvas.set_picture(
                    None,
                    _("No picture to show for this item ({kind}).").format(kind=kind)
                    if row.kind != EvidenceKind.IMAGE
                    else _("The picture cannot be shown (original missing or damaged)."),
                )
            else:
                self.canvas.set_picture(QPixmap.fromImage(image))
            self._update_zoom_label()

        runner().run(load_display_image, self.store, wanted, on_done=shown, pool="read")

    def next(self) -> None:
        self.show_index(self.index + 1)

    def previous(self) -> None:
        self.show_index(self.index - 1)

    # -- zoom ------------------------------------------------------------------------------

    def zoom_in(self) -> None:
        self.canvas.set_zoom(self.canvas.zoom() * ZOOM_STEP)
        self._update_zoom_label()

    def zoom_out(self) -> None:
        self.canvas.set_zoom(self.canvas.zoom() / ZOOM_STEP)
        self._update_zoom_label()

    def fit(self) -> None:
        self.canvas.fit()
        self._update_zoom_label()

    def actual_size(self) -> None:
        self.canvas.set_zoom(1.0)
        self._update_zoom_label()

    def _update_zoom_label(self) -> None:
        self.zoom_label.setText(f"{self.canvas.zoom() * 100:.0f} %")

    # -- metadata --------------------------------------------------------------------------

    def _show_meta(self, row: ItemRow, index: int, total: int) -> None:
        labels = self.meta_labels
        labels["name"].setText(row.display_name)
        labels["position"].setText(_("{n} of {total}").format(n=index + 1, total=total))
        labels["kind"].setText(f"{_(kind_label(row.kind))} · {row.mime}")
        labels["captured"].setText(capture_text(row))
        labels["gps"].setText(
            _("not recorded") if row.gps_lat is None else f"{row.gps_lat:.6f}, {row.gps_lon:.6f}"
        )
        labels["camera"].setText(" ".join(p for p in (row.make, row.model) if p) or "—")
        labels["pixels"].setText("—" if row.width is None else f"{row.width} × {row.height}")
        labels["size"].setText(human_size(row.size))
        labels["caption"].setText(row.caption or "—")
        labels["shows"].setText(row.shows or "—")
        # Four lines of 16: one 64-character word would widen the panel and clip its neighbours.
        labels["sha256"].setText("\n".join(row.sha256[i : i + 16] for i in range(0, 64, 16)))
        self.setWindowTitle(_("Evidence: {name}").format(name=row.display_name))
