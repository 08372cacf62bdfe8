"""The thumbnail gallery's model: evidence rows read page by page, thumbnails in the background.

Thumbnails are read (or made, via the core) on a small thread pool of their own, newest
request first, so scrolling through 5,000 items only loads what is on screen; finished images
come back to the GUI thread through a queued signal and are kept in a bounded cache.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
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
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QImage, QImageReader, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from fairdesk.evidence import service, timestamps
from fairdesk.evidence.rows import ItemRow
from fairdesk.evidence.verify import held_by_hq
from fairdesk.evidence.vocab import EvidenceKind, kind_label
from fairdesk.i18n import _
from fairdesk.store import Store
from ui.evidence.fetching import WAITING, Fetch, FetchState, HqFetches, held_text
from ui.tasks import Pool, runner
from ui.theme import AMBER_TEXT, INK_SOFT, PANEL, WARNING_BACKGROUND

log = logging.getLogger(__name__)

ICON_SIZE = 128
THUMB_FILE_SIZE = 256  # made at import time
CACHE_LIMIT = 1500
IDLE_WAIT_MS = 400
PAGE_SIZE = 120  # rows per read: the first one covers a large screen of thumbnails
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

    def busy(self) -> bool:
        """Thumbnails asked for and not delivered yet."""
        with self._lock:
            return bool(self._queued)

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
        EvidenceKind.VIDEO: QStyle.StandardPixmap.SP_MediaPlay,
        EvidenceKind.PDF: QStyle.StandardPixmap.SP_FileIcon,
        EvidenceKind.FILE: QStyle.StandardPixmap.SP_FileIcon,
        EvidenceKind.IMAGE: QStyle.StandardPixmap.SP_FileDialogContentsView,
    }[EvidenceKind.of(kind)]
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(PANEL))
    painter = QPainter(pixmap)
    style.standardIcon(standard).paint(painter, size // 2 - 24, size // 2 - 34, 48, 48)
    painter.setPen(QColor(INK_SOFT))
    painter.drawText(
        0,
        size // 2 + 20,
        size,
        24,
        Qt.AlignmentFlag.AlignHCenter,
        _(kind_label(kind)),
    )
    painter.end()
    return QIcon(pixmap)


def held_icon(text: str, size: int = ICON_SIZE) -> QIcon:
    """A tile for an original only HQ holds: a standard icon and what is happening, wrapped."""
    style = QApplication.style()
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(WARNING_BACKGROUND))
    painter = QPainter(pixmap)
    style.standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon).paint(
        painter, size // 2 - 20, 10, 40, 40
    )
    painter.setPen(QColor(AMBER_TEXT))
    painter.drawText(
        6,
        56,
        size - 12,
        size - 60,
        Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
        text,
    )
    painter.end()
    return QIcon(pixmap)


PageFetch = Callable[[int, int], list[ItemRow]]  # (offset, limit) → rows, run off the GUI thread


class GalleryModel(QAbstractListModel):
    """Rows of one case's evidence; DecorationRole is the thumbnail (loaded lazily).

    The model knows the row count at once (a COUNT query) but holds only the rows read so
    far: the panel hands it the first screenful, and the rest is read page by page on the
    ``read`` pool — pages the view asks for first, the others in order once the visible
    thumbnails are loaded. A row not read yet shows an empty tile until its page arrives.
    """

    page_loaded = Signal()

    def __init__(
        self, store: Store, parent: QObject | None = None, fetches: HqFetches | None = None
    ) -> None:
        super().__init__(parent)
        self._rows: list[ItemRow | None] = []
        self.store = store
        self.loader = ThumbLoader(store)
        self.loader.loaded.connect(self._on_loaded)
        # Originals only HQ holds are fetched when their tile is shown (then thumbnailed here).
        self.fetches = fetches
        if fetches is not None:
            fetches.changed.connect(self._fetch_changed)
        self._held_icons: dict[str, QIcon] = {}
        self._cache: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._rows_by_sha: dict[str, list[int]] = {}
        self._placeholders: dict[str, QIcon] = {}
        self._fetch: PageFetch | None = None
        self._generation = 0
        self._in_flight: int | None = None  # page being read
        self._wanted: list[int] = []  # pages the view asked for, most recent last
        self._missing: set[int] = set()
        self._when_idle: list[Callable[[], None]] = []
        self._closed = False
        self.loaded_count = 0
        self.covers: dict[str, timestamps.Cover | None] = {}  # item id → covering RFC 3161 token

    # -- rows ----------------------------------------------------------------------------------

    def set_rows(self, rows: list[ItemRow]) -> None:
        """All rows at once (small lists, tests)."""
        self.start(len(rows), rows, None)

    def start(self, total: int, first: list[ItemRow], fetch: PageFetch | None) -> None:
        """``total`` rows, of which ``first`` are known; ``fetch`` reads the others."""
        self.beginResetModel()
        self._generation += 1
        self._in_flight = None
        self._wanted.clear()
        self._fetch = fetch
        total = max(total, len(first))
        self._rows = [*first, *([None] * (total - len(first)))]
        self._rows_by_sha = {}
        for number, row in enumerate(first):
            self._rows_by_sha.setdefault(row.sha256, []).append(number)
        self._missing = {self._page_of(n) for n in range(len(first), total)} if fetch else set()
        self.endResetModel()
        if fetch is None and len(first) < total:  # nobody can read the rest: do not pretend
            self.start(len(first), first, None)
            return
        self._next_page()

    @property
    def rows(self) -> list[ItemRow]:
        """The rows read so far, in order (all of them once ``complete``)."""
        return [r for r in self._rows if r is not None]

    @property
    def complete(self) -> bool:
        return not self._missing

    @staticmethod
    def _page_of(number: int) -> int:
        return number // PAGE_SIZE

    def _want(self, number: int) -> None:
        page = self._page_of(number)
        if page in self._missing and page != self._in_flight:
            if page in self._wanted:
                self._wanted.remove(page)
            self._wanted.append(page)
            self._next_page()

    def _next_page(self) -> None:
        if self._in_flight is not None or not self._missing or self._fetch is None:
            return
        while self._wanted and self._wanted[-1] not in self._missing:
            self._wanted.pop()
        if self._wanted:
            page = self._wanted.pop()
        elif self.loader.busy():
            return  # visible thumbnails first; resumed by _on_loaded when the loader is idle
        else:
            page = min(self._missing)
        self._in_flight = page
        generation, fetch = self._generation, self._fetch
        runner().run(
            fetch,
            page * PAGE_SIZE,
            PAGE_SIZE,
            pool=read_pool(),
            owner=self,
            on_done=lambda rows: self._page_done(generation, page, rows),
            on_error=lambda exc: self._page_failed(generation, exc),
        )

    def _page_done(self, generation: int, page: int, rows: list[ItemRow]) -> None:
        if generation != self._generation:
            return  # a reload started meanwhile: its own pages are on their way
        self._in_flight = None
        self._missing.discard(page)
        first = page * PAGE_SIZE
        last = min(first + PAGE_SIZE, len(self._rows)) - 1
        for number, row in enumerate(rows[: last - first + 1], start=first):
            self._rows[number] = row
            self._rows_by_sha.setdefault(row.sha256, []).append(number)
        if last >= first:
            self.dataChanged.emit(self.index(first), self.index(last))
        self.page_loaded.emit()
        self._next_page()

    def _page_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:  # the tiles stay empty; a reload tries again
            self._in_flight = None
            self._missing.clear()
            log.warning("evidence page could not be read", exc_info=exc)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def row_at(self, number: int) -> ItemRow | None:
        """The row, or None if out of range or not read yet."""
        return self._rows[number] if 0 <= number < len(self._rows) else None

    def index_of(self, item_id: str) -> QModelIndex:
        for number, row in enumerate(self._rows):
            if row is not None and row.id == item_id:
                return self.index(number)
        return QModelIndex()

    # -- display -------------------------------------------------------------------------------

    def _placeholder(self, kind: str) -> QIcon:
        if kind not in self._placeholders:
            self._placeholders[kind] = kind_icon(kind)
        return self._placeholders[kind]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            if role == Qt.ItemDataRole.SizeHintRole:
                return QSize(ICON_SIZE + 24, ICON_SIZE + 40)
            if role == Qt.ItemDataRole.DisplayRole and 0 <= index.row() < len(self._rows):
                self._want(index.row())  # on screen but not read yet
                return "…"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            name = row.caption or row.display_name
            if row.purged:
                return _("Purged: {name}").format(name=name)
            return _("Hidden: {name}").format(name=name) if row.hidden_at else name
        if role == Qt.ItemDataRole.DecorationRole:
            if row.kind != EvidenceKind.IMAGE:
                return self._placeholder(row.kind)
            held = self._held(row)
            if held is not None and held.state is not Fetch.HERE:
                return self._held_icon(held)
            if row.sha256 in self._cache:
                self._cache.move_to_end(row.sha256)
                pixmap = self._cache[row.sha256]
                return pixmap if pixmap is not None else self._placeholder(EvidenceKind.FILE)
            self.loader.request(row.sha256)
            return self._placeholder(EvidenceKind.IMAGE)
        if role == Qt.ItemDataRole.ToolTipRole:
            when = row.captured_local.replace("T", " ") if row.captured_local else _("unknown")
            tip = _("{name}\nTaken (camera clock): {when}").format(name=row.display_name, when=when)
            if row.id in self.covers:
                tip += "\n" + timestamps.cover_text(self.covers[row.id])
            if row.hidden_at is not None:
                tip += "\n" + _("Hidden: {reason}").format(reason=row.hidden_reason)
            held = self._held(row) if row.kind == EvidenceKind.IMAGE else None
            if held is not None and held.state is not Fetch.HERE:
                tip += "\n" + (held.text or held_text(held))
            return tip
        if role == ItemRole:
            return row
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(ICON_SIZE + 24, ICON_SIZE + 40)
        return None

    def _held(self, row: ItemRow) -> FetchState | None:
        """The fetch state of an original only HQ holds (asked for now); None if it is here."""
        if self.fetches is None or not held_by_hq(
            row.integrity, row.device_id, self.store.device.id
        ):
            return None
        return self.fetches.want(row)

    def _held_icon(self, state: FetchState) -> QIcon:
        # While downloading the tile says so without a percentage: one icon for all of them.
        text = _("Downloading from HQ…") if state.state in WAITING else held_text(state)
        if text not in self._held_icons:
            self._held_icons[text] = held_icon(text)
        return self._held_icons[text]

    def _fetch_changed(self, sha256: str) -> None:
        state = self.fetches.state(sha256) if self.fetches is not None else None
        if state is not None and state.state is Fetch.FETCHING and state.done:
            return  # progress within one file: the tile does not change
        self._cache.pop(sha256, None)
        for number in self._rows_by_sha.get(sha256, ()):
            index = self.index(number)
            self.dataChanged.emit(
                index, index, [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole]
            )

    def set_timestamps(self, covers: dict[str, timestamps.Cover | None]) -> None:
        """Which items a timestamp covers: shown in each item's tooltip."""
        self.covers = covers
        if self._rows:
            self.dataChanged.emit(
                self.index(0), self.index(len(self._rows) - 1), [Qt.ItemDataRole.ToolTipRole]
            )

    def _on_loaded(self, sha256: str, image: QImage) -> None:
        pixmap = None if image.isNull() else QPixmap.fromImage(image)
        self._cache[sha256] = pixmap
        self.loaded_count += 1
        while len(self._cache) > CACHE_LIMIT:
            self._cache.popitem(last=False)
        for number in self._rows_by_sha.get(sha256, ()):
            index = self.index(number)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
        if not self.loader.busy():
            self._idle()

    def _idle(self) -> None:
        callbacks, self._when_idle = self._when_idle, []
        for callback in callbacks:
            callback()
        self._next_page()

    def after_thumbnails(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the thumbnails on screen are loaded (at most IDLE_WAIT_MS).

        Lower-priority reads (the viewer's large picture) wait here so that they do not
        compete with the first screen of thumbnails for the two CPU cores.
        """
        if not self.loader.busy():
            callback()
            return
        done = False

        def once() -> None:
            nonlocal done
            if not done and not self._closed:
                done = True
                callback()

        self._when_idle.append(once)
        QTimer.singleShot(IDLE_WAIT_MS, self, once)  # never wait forever (endless scrolling)

    def has_thumbnail(self, sha256: str) -> bool:
        return self._cache.get(sha256) is not None

    def close(self) -> None:
        self._closed = True
        self._when_idle.clear()
        self._generation += 1
        self._missing.clear()
        self.loader.stop()


def read_pool() -> Pool:
    """The pool for gallery reads: "read", so lists never wait behind an import."""
    return "read"
