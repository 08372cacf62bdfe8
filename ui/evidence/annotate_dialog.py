"""Making an annotated copy: crop, arrows, or our product and the copy side by side.

The dialog shows the upright picture; the responder drags a rectangle (crop) or draws arrows.
Coordinates are converted to the original's upright pixels and the core saves a NEW item
linked to the original — the original is never changed.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fairdesk.evidence import annotate, service
from fairdesk.evidence.rows import ItemRow
from fairdesk.evidence.vocab import EvidenceKind
from fairdesk.i18n import _
from fairdesk.store import Store
from ui.evidence.gallery import image_from_bytes
from ui.tasks import explain, runner
from ui.theme import VIEWER_BACKGROUND

CROP, ARROWS, SIDE_BY_SIDE = "crop", "arrows", "side_by_side"


def upright_size(row: ItemRow) -> tuple[int, int]:
    width, height = row.width or 1, row.height or 1
    return (height, width) if row.orientation in (5, 6, 7, 8) else (width, height)


class Canvas(QWidget):
    """The picture with the crop rectangle or arrows drawn over it (widget coordinates)."""

    changed = Signal()

    def __init__(self, image: QImage | None) -> None:
        super().__init__()
        self.image = image
        self.mode = CROP
        self.crop_rect: QRectF | None = None
        self.arrows: list[tuple[QPointF, QPointF]] = []
        self._start: QPointF | None = None
        self._current: QPointF | None = None
        self.setMinimumSize(480, 360)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def picture_rect(self) -> QRectF:
        if self.image is None or self.image.isNull():
            return QRectF(self.rect_widget())
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        w, h = self.image.width() * scale, self.image.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def rect_widget(self) -> QRectF:
        return QRectF(0, 0, self.width(), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect_widget(), QColor(VIEWER_BACKGROUND))
        if self.image is not None and not self.image.isNull():
            painter.drawImage(self.picture_rect(), self.image)
        pen = QPen(QColor(230, 30, 30), 3)
        painter.setPen(pen)
        if self.mode == CROP and self.crop_rect is not None:
            painter.drawRect(self.crop_rect)
        for start, end in self.arrows:
            painter.drawLine(start, end)
            painter.drawEllipse(end, 5, 5)
        if self._start is not None and self._current is not None and self.mode == ARROWS:
            painter.drawLine(self._start, self._current)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._start = event.position()
        self._current = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._start is None:
            return
        self._current = event.position()
        if self.mode == CROP:
            self.crop_rect = QRectF(self._start, self._current).normalized()
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._start is None:
            return
        end = event.position()
        if self.mode == CROP:
            self.crop_rect = QRectF(self._start, end).normalized()
        elif (end - self._start).manhattanLength() > 6:
            self.arrows.append((self._start, end))
        self._start = self._current = None
        self.update()
        self.changed.emit()


class AnnotateDialog(QDialog):
    """``created`` carries the new item's row once the copy is saved."""

    created = Signal(object)

    def __init__(
        self, store: Store, row: ItemRow, others: list[ItemRow], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.row = row
        self.setWindowTitle(_("Annotated copy of {name}").format(name=row.display_name))
        data = service.thumbnail_bytes(store, row.sha256, 1024)  # decrypted when encrypted
        image = image_from_bytes(data) if data is not None else None
        self.canvas = Canvas(image)
        self.modes = QButtonGroup(self)
        mode_row = QHBoxLayout()
        for key, label in (
            (CROP, _("Crop")),
            (ARROWS, _("Arrows")),
            (SIDE_BY_SIDE, _("Side by side")),
        ):
            button = QRadioButton(label)
            button.setProperty("mode", key)
            self.modes.addButton(button)
            mode_row.addWidget(button)
            if key == CROP:
                button.setChecked(True)
        mode_row.addStretch(1)
        self.modes.buttonToggled.connect(self._mode_changed)
        self.other = QComboBox()
        for other in others:
            if other.id != row.id and other.kind == EvidenceKind.IMAGE:
                self.other.addItem(other.caption or other.display_name, other.id)
        self.other_label = QLabel(_("Compare with (shown on the right):"))
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(mode_row)
        layout.addWidget(self.hint)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.other_label)
        layout.addWidget(self.other)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(820, 680)
        self._mode_changed()

    @property
    def mode(self) -> str:
        checked = self.modes.checkedButton()
        return str(checked.property("mode")) if checked is not None else CROP

    def set_mode(self, mode: str) -> None:
        for button in self.modes.buttons():
            if button.property("mode") == mode:
                button.setChecked(True)

    def _mode_changed(self, *args: object) -> None:
        mode = self.mode
        self.canvas.mode = mode
        self.canvas.setVisible(mode != SIDE_BY_SIDE)
        self.other.setVisible(mode == SIDE_BY_SIDE)
        self.other_label.setVisible(mode == SIDE_BY_SIDE)
        self.hint.setText(
            {
                CROP: _("Drag a rectangle around what matters."),
                ARROWS: _("Drag to draw an arrow; the head is where you let go."),
                SIDE_BY_SIDE: _("This photo goes on the left, the one you choose on the right."),
            }[mode]
        )
        self.canvas.update()

    def _to_original(self, point: QPointF) -> tuple[float, float]:
        box = self.canvas.picture_rect()
        width, height = upright_size(self.row)
        x = (point.x() - box.x()) / max(box.width(), 1) * width
        y = (point.y() - box.y()) / max(box.height(), 1) * height
        return max(0.0, min(width, x)), max(0.0, min(height, y))

    def save(self) -> None:
        mode = self.mode
        if mode == CROP:
            if self.canvas.crop_rect is None:
                self.message.setText(_("Drag a rectangle first."))
                return
            x1, y1 = self._to_original(self.canvas.crop_rect.topLeft())
            x2, y2 = self._to_original(self.canvas.crop_rect.bottomRight())
            args: tuple[object, ...] = (
                annotate.crop,
                self.store,
                self.row.id,
                (round(x1), round(y1), round(x2), round(y2)),
            )
        elif mode == ARROWS:
            marks = [
                annotate.Arrow(*self._to_original(a), *self._to_original(b))
                for a, b in self.canvas.arrows
            ]
            args = (annotate.arrows, self.store, self.row.id, marks)
        else:
            other = self.other.currentData()
            if not other:
                self.message.setText(_("There is no other photo in this case to compare with."))
                return
            args = (annotate.side_by_side, self.store, self.row.id, str(other))
        self.buttons.setEnabled(False)
        self.message.setText(_("Saving the annotated copy…"))

        def done(row: object) -> None:
            self.buttons.setEnabled(True)
            self.created.emit(row)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.message.setText(explain(exc))

        fn, *rest = args
        runner().run(fn, *rest, on_done=done, on_error=failed)  # type: ignore[arg-type]
