"""The thumbnail gallery's model: evidence rows plus thumbnails loaded in the background.

Thumbnails are read (or made, via the core) on a small thread pool of their own, newest
request first, so scrolling through 5,000 items only loads what is on screen; finished images
come back to the GUI thread through a queued signal and are kept in a bounded cache.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QBuffer,
    QByteArray,
    QIODevice,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QImage, QImageReader, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from fairdesk.evidence import service
from fairdesk.evidence.models import KIND_LABELS
from fairdesk.evidence.rows import ItemRow
from fairdesk.i18n import _
from fairdesk.store import Store

ICON_SIZE = 128
THUMB_FILE_SIZE = 256  # made at import time
CACHE_LIMIT = 1500
QUEUE_LIMIT = 300  # requests scrolled past long ago are dropped
ItemRole = Qt.ItemDataRole.UserRole + 1


def image_from_bytes(data: bytes, max_side: int | None = None) -> QImage | None:
    """Decode picture bytes (scaled while decoding to fit ``max_side``); None if undecodable."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    size = reader.size()
    if max_side is not None and size.isValid():
        reader.setScaledSize(size.scaled(max_side, max_side, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    buffer.close()
    return None if image.isNull() else image


class _Signals(QObject):
    # A null QImage (never None) marks "no picture": None through a queued ``object`` signal
    # has crashed PySide (refcount error) under heavy scrolling.
    loaded = Signal(str, QImage)


class ThumbLoader(QObject):
    """Loads thumbnails off the GUI thread, most recent request first."""

    loaded = Signal(str, QImage)

    def __init__(self, store: Store, size: int = ICON_SIZE, threads: int = 2) -> None:
        super().__init__()
        self.store = store
        self.size = size
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._lock = threading.Lock()
        self._stack: list[str] = []
        self._queued: set[str] = set()
        self._signals = _Signals()
        self._signals.loaded.connect(self.loaded, Qt.ConnectionType.QueuedConnection)

    def request(self, sha256: str) -> None:
        with self._lock:
            if sha256 in self._queued:
                return
            self._queued.add(sha256)
            self._stack.append(sha256)
            if len(self._stack) > QUEUE_LIMIT:
                dropped = self._stack.pop(0)
                self._queued.discard(dropped)
        self.pool.start(_Drain(self))

    def _next(self) -> str | None:
        with self._lock:
            return self._stack.pop() if self._stack else None

    def _finished(self, sha256: str, image: QImage | None) -> None:
        with self._lock:
            self._queued.discard(sha256)
        self._signals.loaded.emit(sha256, image if image is not None else QImage())

    def load(self, sha256: str) -> QImage | None:
        # Bytes, not a path: in an encrypted folder the thumbnail file is ciphertext.
        data = service.thumbnail_bytes(self.store, sha256, THUMB_FILE_SIZE)
        return None if data is None else image_from_bytes(data, self.size)

    def stop(self) -> None:
        with self._lock:
            self._stack.clear()
            self._queued.clear()
        # The pool (a child QObject) may already be gone with its parent.
        with contextlib.suppress(RuntimeError):
            self.pool.waitForDone(5000)


class _Drain(QRunnable):
    def __init__(self, loader: ThumbLoader) -> None:
        super().__init__()
        self.loader = loader

    def run(self) -> None:
        sha = self.loader._next()
        if sha is None:
            return
        try:
            image = self.loader.load(sha)
        except Exception:  # a damaged thumbnail must not kill the pool: show the generic icon
            image = None
        self.loader._finished(sha, image)


def kind_icon(kind: str, size: int = ICON_SIZE) -> QIcon:
    """A generic tile for files without a picture: a standard icon and the kind's name."""
    style = QApplication.style()
    standard = {
        "video": QStyle.StandardPixmap.SP_MediaPlay,
        "pdf": QStyle.StandardPixmap.SP_FileIcon,
        "file": QStyle.StandardPixmap.SP_FileIcon,
        "image": QStyle.StandardPixmap.SP_FileDialogContentsView,
    }[kind if kind in ("video", "pdf", "file", "image") else "file"]
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor("#eef1f5"))
    painter = QPainter(pixmap)
    style.standardIcon(standard).paint(painter, size // 2 - 24, size // 2 - 34, 48, 48)
    painter.setPen(QColor("#44505c"))
    painter.drawText(
        0,
        size // 2 + 20,
        size,
        24,
        Qt.AlignmentFlag.AlignHCenter,
        _(KIND_LABELS.get(kind, KIND_LABELS["file"])),
    )
    painter.end()
    return QIcon(pixmap)


class GalleryModel(QAbstractListModel):
    """Rows of one case's evidence; DecorationRole is the thumbnail (loaded lazily)."""

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ItemRow] = []
        self.loader = ThumbLoader(store)
        self.loader.loaded.connect(self._on_loaded)
        self._cache: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._rows_by_sha: dict[str, list[int]] = {}
        self._placeholders: dict[str, QIcon] = {}
        self.loaded_count = 0

    def set_rows(self, rows: list[ItemRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._rows_by_sha = {}
        for number, row in enumerate(self.rows):
            self._rows_by_sha.setdefault(row.sha256, []).append(number)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def row_at(self, number: int) -> ItemRow | None:
        return self.rows[number] if 0 <= number < len(self.rows) else None

    def index_of(self, item_id: str) -> QModelIndex:
        for number, row in enumerate(self.rows):
            if row.id == item_id:
                return self.index(number)
        return QModelIndex()

    def _placeholder(self, kind: str) -> QIcon:
        if kind not in self._placeholders:
            self._placeholders[kind] = kind_icon(kind)
        return self._placeholders[kind]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return row.caption or row.display_name
        if role == Qt.ItemDataRole.DecorationRole:
            if row.kind != "image":
                return self._placeholder(row.kind)
            if row.sha256 in self._cache:
                self._cache.move_to_end(row.sha256)
                pixmap = self._cache[row.sha256]
                return pixmap if pixmap is not None else self._placeholder("file")
            self.loader.request(row.sha256)
            return self._placeholder("image")
        if role == Qt.ItemDataRole.ToolTipRole:
            when = row.captured_local.replace("T", " ") if row.captured_local else _("unknown")
            return _("{name}\nTaken (camera clock): {when}").format(
                name=row.display_name, when=when
            )
        if role == ItemRole:
            return row
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(ICON_SIZE + 24, ICON_SIZE + 40)
        return None

    def _on_loaded(self, sha256: str, image: QImage) -> None:
        pixmap = None if image.isNull() else QPixmap.fromImage(image)
        self._cache[sha256] = pixmap
        self.loaded_count += 1
        while len(self._cache) > CACHE_LIMIT:
            self._cache.popitem(last=False)
        for number in self._rows_by_sha.get(sha256, ()):
            index = self.index(number)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def has_thumbnail(self, sha256: str) -> bool:
        return self._cache.get(sha256) is not None

    def close(self) -> None:
        self.loader.stop()
