"""The large viewer: the picture, what FairDesk read from it, and what the responder adds.

The capture time is labelled as the camera's claim (a device clock is not proof). The
responder's fields (caption, what it shows, supported right, hall, booth, notary, witness,
tags) are saved through the core on the db pool.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fairdesk.evidence import service, timestamps
from fairdesk.evidence.rows import ItemRow
from fairdesk.evidence.verify import held_by_hq
from fairdesk.evidence.vocab import EvidenceKind, Integrity, kind_label
from fairdesk.i18n import _
from fairdesk.store import Store
from ui import settings
from ui.evidence.fetching import Fetch, HqFetches, held_text
from ui.evidence.gallery import image_from_bytes, read_pool
from ui.formatting import local_time
from ui.tasks import explain, runner
from ui.theme import VIEWER_BACKGROUND, VIEWER_TEXT

VIEW_SIZE = 1024


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def capture_text(row: ItemRow) -> str:
    if not row.captured_local:
        return _("Not recorded by the camera")
    when = row.captured_local.replace("T", " ")
    if row.captured_offset:
        when += f" (UTC{row.captured_offset})"
    else:
        when += " " + _("(time zone not recorded)")
    return _("{when} — camera clock: a claim, not proof").format(when=when)


def _load_view_image(store: Store, sha256: str) -> QImage | None:
    data = service.thumbnail_bytes(store, sha256, VIEW_SIZE)  # decrypted when encrypted
    return None if data is None else image_from_bytes(data)


class _Picture(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(240, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setObjectName("evidencePicture")
        self.setStyleSheet(
            f"#evidencePicture {{ background: {VIEWER_BACKGROUND}; color: {VIEWER_TEXT}; }}"
        )
        self._pixmap: QPixmap | None = None

    def show_pixmap(self, pixmap: QPixmap | None, text: str = "") -> None:
        self._pixmap = pixmap
        if pixmap is None:
            self.clear()
            self.setText(text)
        else:
            self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is not None:
            self.setPixmap(
                self._pixmap.scaled(
                    self.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()


class ItemViewer(QWidget):
    """Shows one item; ``saved`` is emitted with the updated row after an edit."""

    saved = Signal(object)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.row: ItemRow | None = None
        self.covers: dict[str, timestamps.Cover | None] = {}  # item id → covering token
        # When the large picture may be read: the panel lets the gallery's first screen of
        # thumbnails go first (GalleryModel.after_thumbnails).
        self.picture_gate: Callable[[Callable[[], None]], None] = lambda load: load()
        self.fetches: HqFetches | None = None  # set by the panel: originals only HQ holds
        self.picture = _Picture()
        self.meta = QFormLayout()
        self.meta_labels: dict[str, QLabel] = {}
        meta_box = QWidget()
        meta_box.setLayout(self.meta)
        for key, label in (
            ("name", _("File name")),
            ("kind", _("Type")),
            ("size", _("Size")),
            ("captured", _("Taken")),
            ("gps", _("Position (GPS)")),
            ("camera", _("Camera")),
            ("pixels", _("Pixels")),
            ("sha256", _("SHA-256")),
            ("imported", _("Imported")),
            ("timestamp", _("Independent time")),
            ("note", _("Note")),
            ("derived", _("Annotated copy of")),
        ):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.meta.addRow(label, value)
            self.meta_labels[key] = value
        self.caption = QLineEdit()
        self.shows = QPlainTextEdit()
        self.shows.setFixedHeight(60)
        self.supports = QLineEdit()
        self.supports.setPlaceholderText(_("e.g. design EU 001234567-0001, or claim 1 feature c"))
        self.hall = QLineEdit()
        self.booth = QLineEdit()
        self.notary = QCheckBox(_("Notary present"))
        self.witness = QCheckBox(_("Witness present"))
        self.tags = QLineEdit()
        self.tags.setPlaceholderText(_("comma-separated, e.g. packaging, logo"))
        self.save_button = QPushButton(_("Save notes"))
        self.save_button.clicked.connect(self.save)
        self.status = QLabel()
        place = QHBoxLayout()
        place.addWidget(QLabel(_("Hall")))
        place.addWidget(self.hall)
        place.addWidget(QLabel(_("Booth")))
        place.addWidget(self.booth)
        self.meta.addRow(_("Caption"), self.caption)
        self.meta.addRow(_("What it shows"), self.shows)
        self.meta.addRow(_("Supports"), self.supports)
        self.meta.addRow(_("Where"), place)
        people = QHBoxLayout()
        people.addWidget(self.notary)
        people.addWidget(self.witness)
        self.meta.addRow("", people)
        self.meta.addRow(_("Tags"), self.tags)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.status, 1)
        self.meta.addRow("", buttons)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(meta_box)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.picture)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.show_item(None)

    def set_timestamps(self, covers: dict[str, timestamps.Cover | None]) -> None:
        """Which items an RFC 3161 token covers (read by the panel); refreshes the shown item."""
        self.covers = covers
        if self.row is not None:
            self.meta_labels["timestamp"].setText(
                timestamps.cover_text(covers[self.row.id]) if self.row.id in covers else "—"
            )

    def show_item(self, row: ItemRow | None) -> None:
        self.row = row
        enabled = row is not None
        for widget in (
            self.caption,
            self.shows,
            self.supports,
            self.hall,
            self.booth,
            self.notary,
            self.witness,
            self.tags,
            self.save_button,
        ):
            widget.setEnabled(enabled)
        self.status.clear()
        if row is None:
            for value in self.meta_labels.values():
                value.clear()
            self.picture.show_pixmap(None, _("Choose an item in the gallery."))
            return
        labels = self.meta_labels
        labels["name"].setText(row.display_name)
        labels["kind"].setText(f"{_(kind_label(row.kind))} · {row.mime}")
        labels["size"].setText(human_size(row.size))
        labels["captured"].setText(capture_text(row))
        labels["gps"].setText(
            _("not recorded") if row.gps_lat is None else f"{row.gps_lat:.6f}, {row.gps_lon:.6f}"
        )
        camera = " ".join(p for p in (row.make, row.model) if p)
        labels["camera"].setText(camera or _("not recorded"))
        labels["pixels"].setText(
            ""
            if row.width is None
            else _("{w} × {h} (orientation {o})").format(
                w=row.width, h=row.height, o=row.orientation
            )
        )
        labels["sha256"].setText(row.sha256)
        labels["imported"].setText(
            _("{when} by {who} on device {device}").format(
                when=local_time(row.imported_at, settings.HOME_TIME_ZONE.get()),
                who=row.imported_by or "—",
                device=row.device_id[:8],
            )
        )
        note = row.import_note
        if row.integrity == Integrity.AT_HQ:  # travel mode: safe at HQ, not an integrity problem
            note = _("Kept at HQ (removed for travel); not on this computer.") + (
                " " + note if note else ""
            )
        elif row.integrity == Integrity.REMOTE:  # imported on another device: a fact, not a problem
            note = _("Imported on another device; the original is held at HQ.") + (
                " " + note if note else ""
            )
        elif row.integrity != Integrity.OK:
            note = _("INTEGRITY PROBLEM: the original is {state}. Run Verify.").format(
                state=_("missing")
                if row.integrity == Integrity.MISSING
                else _("changed or damaged")
            ) + (" " + note if note else "")
        labels["timestamp"].setText(
            timestamps.cover_text(self.covers[row.id]) if row.id in self.covers else "—"
        )
        labels["note"].setText(note or "—")
        labels["derived"].setText(row.derived_from or "—")
        self.caption.setText(row.caption)
        self.shows.setPlainText(row.shows)
        self.supports.setText(row.supports)
        self.hall.setText(row.hall)
        self.booth.setText(row.booth)
        self.notary.setChecked(row.notary_present)
        self.witness.setChecked(row.witness_present)
        self.tags.setText(", ".join(row.tags))
        if row.kind != EvidenceKind.IMAGE:
            self.picture.show_pixmap(
                None, _("No preview for this file; the original is kept byte-exact.")
            )
            return
        self._show_picture(row)

    def set_fetches(self, fetches: HqFetches) -> None:
        self.fetches = fetches
        fetches.changed.connect(self._fetch_changed)

    def _fetch_changed(self, sha256: str) -> None:
        if (
            self.row is not None
            and self.row.sha256 == sha256
            and self.row.kind == EvidenceKind.IMAGE
        ):
            self._show_picture(self.row)

    def _show_picture(self, row: ItemRow) -> None:
        if self.fetches is not None and held_by_hq(
            row.integrity, row.device_id, self.store.device.id
        ):
            held = self.fetches.want(row)
            if held.state is not Fetch.HERE:
                self.picture.show_pixmap(None, held_text(held))
                return
        self.picture.show_pixmap(None, _("Loading…"))
        wanted = row.sha256

        def shown(image: object) -> None:
            if self.row is not None and self.row.sha256 == wanted:
                self.picture.show_pixmap(
                    QPixmap.fromImage(image) if isinstance(image, QImage) else None,
                    _("The picture cannot be shown."),
                )

        def load() -> None:
            if self.row is not None and self.row.sha256 == wanted:  # still the one shown
                runner().run(_load_view_image, self.store, wanted, on_done=shown, pool=read_pool())

        self.picture_gate(load)

    def changes(self) -> dict[str, object]:
        return {
            "caption": self.caption.text(),
            "shows": self.shows.toPlainText(),
            "supports": self.supports.text(),
            "hall": self.hall.text(),
            "booth": self.booth.text(),
            "notary_present": self.notary.isChecked(),
            "witness_present": self.witness.isChecked(),
            "tags": [t.strip() for t in self.tags.text().split(",") if t.strip()],
        }

    def save(self) -> None:
        if self.row is None:
            return
        self.save_button.setEnabled(False)
        self.status.setText(_("Saving…"))

        def done(row: object) -> None:
            self.save_button.setEnabled(True)
            self.status.setText(_("Saved."))
            if isinstance(row, ItemRow):
                self.row = row
                self.saved.emit(row)

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.status.setText(explain(exc))

        runner().run(
            service.edit_item,
            self.store,
            self.row.id,
            self.changes(),
            on_done=done,
            on_error=failed,
        )
