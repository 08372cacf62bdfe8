"""The Evidence tab of a case: gallery, viewer, import (files, folders, drop, paste, inbox),
annotate, verify and export.

Everything slow runs through ``ui.tasks.runner()``: imports, verify, export and annotations on
the single-writer db pool, listing on the read pool, thumbnails on the gallery's own loader.
An import shows a progress bar with Cancel and ends with an inline summary (imported, already
present, rejected with the reason per file) — never a blocking dialog in the middle of work.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QSize, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fairdesk.events import Change
from fairdesk.evidence import inbox, ondemand, service, timestamps
from fairdesk.evidence.export import (
    ExportResult,
    default_file_name,
    export_case,
    kept_at_hq_text,
)
from fairdesk.evidence.importer import ImportProgress, ImportReport
from fairdesk.evidence.rows import ItemRow, display_name
from fairdesk.evidence.verify import VerifyReport, startup_check, verify
from fairdesk.evidence.vocab import KIND_LABELS, EvidenceKind, ImportStatus
from fairdesk.i18n import _
from fairdesk.store import Store
from ui.evidence.annotate_dialog import AnnotateDialog
from ui.evidence.export_dialog import ExportDialog
from ui.evidence.fetching import HqFetches, progress_line
from ui.evidence.gallery import ICON_SIZE, PAGE_SIZE, GalleryModel, read_pool
from ui.evidence.intake_dialog import IntakeDialog
from ui.evidence.item_actions import ReasonDialog, hide_dialog, hide_then_purge, purge_dialog
from ui.evidence.photo_viewer import PhotoViewer
from ui.evidence.viewer import ItemViewer
from ui.qt_events import bridge
from ui.tasks import CancelToken, explain, runner
from ui.theme import RED

_checked_at_startup: set[Path] = set()
STARTUP_CHECK_DELAY_MS = 5000


class EvidencePanel(QWidget):
    def __init__(self, store: Store, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id = case_id
        self.cancel_token: CancelToken | None = None
        self.last_report: ImportReport | None = None
        self.last_verify: VerifyReport | None = None
        self.last_export: ExportResult | None = None
        self._not_fetched = ""  # the sentence of the last verify's download step
        self._select_after_reload: str | None = None
        self.setAcceptDrops(True)

        self.import_files_button = QPushButton(_("Import files…"))
        self.import_folder_button = QPushButton(_("Import folder…"))
        self.inbox_button = QPushButton(_("Inbox"))
        self.receive_button = QPushButton(_("Receive from phones…"))
        self.receive_button.clicked.connect(self.open_intake)
        self.annotate_button = QPushButton(_("Annotate…"))
        self.verify_button = QPushButton(_("Verify"))
        self.export_button = QPushButton(_("Export…"))
        self.import_files_button.clicked.connect(self.choose_files)
        self.import_folder_button.clicked.connect(self.choose_folder)
        self.inbox_button.clicked.connect(self.import_inbox)
        self.annotate_button.clicked.connect(self.open_annotate)
        self.verify_button.clicked.connect(self.run_verify)
        self.export_button.clicked.connect(self.choose_export)
        self.import_files_button.setToolTip(
            _("You can also drop files or folders here, or paste them (Ctrl+V).")
        )
        self.verify_button.setToolTip(_("Re-hash every original and check the custody log."))
        self.export_button.setToolTip(
            _(
                "A zip with the originals, a manifest, the custody log "
                "and a verifier that needs only Python."
            )
        )
        tools = QHBoxLayout()
        for button in (
            self.import_files_button,
            self.import_folder_button,
            self.inbox_button,
            self.receive_button,
        ):
            tools.addWidget(button)
        tools.addStretch(1)
        for button in (self.annotate_button, self.verify_button, self.export_button):
            tools.addWidget(button)

        self.kind_filter = QComboBox()
        self.kind_filter.addItem(_("All kinds"), "")
        for kind in EvidenceKind:
            self.kind_filter.addItem(_(KIND_LABELS[kind]), kind.value)
        self.day_filter = QComboBox()
        self.day_filter.addItem(_("Any day"), "")
        self.tag_filter = QLineEdit()
        self.tag_filter.setPlaceholderText(_("Tag"))
        self.tag_filter.setClearButtonEnabled(True)
        self.hidden_filter = QCheckBox(_("Show hidden items"))
        self.count_label = QLabel()
        self.kind_filter.currentIndexChanged.connect(self.reload)
        self.hidden_filter.toggled.connect(self.reload)
        self.day_filter.currentIndexChanged.connect(self.reload)
        self.tag_filter.editingFinished.connect(self.reload)
        filters = QHBoxLayout()
        filters.addWidget(QLabel(_("Show:")))
        filters.addWidget(self.kind_filter)
        filters.addWidget(self.day_filter)
        filters.addWidget(self.tag_filter)
        filters.addWidget(self.hidden_filter)
        filters.addStretch(1)
        filters.addWidget(self.count_label)

        self.progress = QProgressBar()
        self.progress_label = QLabel()
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.cancel_import)
        self.progress_row = QWidget()
        progress_layout = QHBoxLayout(self.progress_row)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.addWidget(self.progress_label)
        progress_layout.addWidget(self.progress, 1)
        progress_layout.addWidget(self.cancel_button)
        self.progress_row.hide()

        # Which items an RFC 3161 timestamp covers and how many wait for a connection.
        self.timestamp_label = QLabel()
        self.timestamp_label.setWordWrap(True)
        self.timestamp_label.setObjectName("subtitle")
        self.timestamp_label.hide()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(110)
        self.details.hide()

        # Originals only HQ holds: fetched as they are shown, one line of progress.
        self.fetches = HqFetches(store, self)
        self.fetch_label = QLabel()
        self.fetch_label.setObjectName("subtitle")
        self.fetch_label.hide()
        self.fetches.progress.connect(self._fetch_progress)
        self.model = GalleryModel(store, self, self.fetches)
        self.gallery = QListView()
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setMovement(QListView.Movement.Static)
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        self.gallery.setUniformItemSizes(True)
        self.gallery.setLayoutMode(QListView.LayoutMode.Batched)
        self.gallery.setBatchSize(PAGE_SIZE)
        self.gallery.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.gallery.setGridSize(QSize(ICON_SIZE + 28, ICON_SIZE + 44))
        self.gallery.setWordWrap(False)
        self.gallery.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.gallery.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.gallery.setAcceptDrops(False)
        self.gallery.viewport().setAcceptDrops(False)
        self.gallery.setModel(self.model)
        self.model.page_loaded.connect(self._page_loaded)
        self.gallery.selectionModel().currentChanged.connect(self._current_changed)
        self.gallery.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.gallery.customContextMenuRequested.connect(self._gallery_menu)
        # Enter "activates" an item; a double-click does too on some platforms only.
        self.gallery.activated.connect(self.open_photo)
        self.gallery.doubleClicked.connect(self.open_photo)
        self.photo_viewer: PhotoViewer | None = None
        self.viewer = ItemViewer(store)
        self.viewer.set_fetches(self.fetches)
        self.viewer.picture_gate = self.model.after_thumbnails
        self.viewer.picture.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.viewer.picture.customContextMenuRequested.connect(self._viewer_menu)
        self.viewer.saved.connect(lambda _row: self.schedule_reload())
        self.empty_hint = QLabel(
            _("No evidence yet. Drop photos, videos or PDF scans here, or use Import files…")
        )
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setObjectName("subtitle")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.gallery, 1)
        left_layout.addWidget(self.empty_hint)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.viewer)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addLayout(filters)
        layout.addWidget(self.progress_row)
        layout.addWidget(self.fetch_label)
        layout.addWidget(self.timestamp_label)
        layout.addWidget(self.summary)
        layout.addWidget(self.details)
        layout.addWidget(splitter, 1)

        QShortcut(QKeySequence.StandardKey.Paste, self, self.paste)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(250)  # an import emits one event per file: batch them
        self._reload_timer.timeout.connect(self.reload)
        bridge().changed.connect(self._on_event)
        self.destroyed.connect(self.model.close)
        self._update_buttons()
        self.reload()
        self._startup_check()

    # -- data ----------------------------------------------------------------------------------

    def _filter(self) -> service.ItemFilter:
        day = self.day_filter.currentData()
        chosen = datetime.fromisoformat(day).date() if day else None
        kind = self.kind_filter.currentData()  # an EvidenceKind value, or "" for all kinds
        return service.ItemFilter(
            kind=EvidenceKind(kind) if kind else None,
            tag=self.tag_filter.text().strip() or None,
            date_from=chosen,
            date_to=chosen,
            include_hidden=self.hidden_filter.isChecked(),
        )

    def reload(self) -> None:
        """Read the count and the first screenful now; the model reads the rest page by page."""
        self.fetches.retry()  # an original that was offline a moment ago is asked for again
        flt = self._filter()
        store, case_id = self.store, self.case_id

        def fetch() -> tuple[int, list[ItemRow], int]:
            total = service.count_items(store, case_id, flt)
            first = service.list_items_page(store, case_id, flt, 0, PAGE_SIZE)
            everything = (
                total if flt == service.ItemFilter() else service.count_items(store, case_id)
            )
            return total, first, everything

        def page(offset: int, limit: int) -> list[ItemRow]:
            return service.list_items_page(store, case_id, flt, offset, limit)

        def loaded(result: tuple[int, list[ItemRow], int]) -> None:
            self._loaded(result, page)

        runner().run(fetch, on_done=loaded, pool=read_pool(), owner=self)
        runner().run(
            timestamps.case_coverage,
            store,
            case_id,
            on_done=self._timestamps,
            pool=read_pool(),
            owner=self,
        )
        # The day filter's choices: not needed for the first screen, read after it.
        runner().run(
            service.capture_days, store, case_id, on_done=self._days, pool=read_pool(), owner=self
        )

    def _loaded(
        self, result: tuple[int, list[ItemRow], int], page: Callable[[int, int], list[ItemRow]]
    ) -> None:
        total, first, everything = result
        current = self.viewer.row.id if self.viewer.row is not None else None
        self.model.start(total, first, page)
        self.count_label.setText(
            (_("{shown} of 1 item") if everything == 1 else _("{shown} of {total} items")).format(
                shown=total, total=everything
            )
        )
        self.empty_hint.setVisible(not everything)
        wanted, self._select_after_reload = self._select_after_reload, None
        current = wanted or current
        if current is not None and self.model.index_of(current).isValid():
            self.select(current)
        elif current is not None and not self.model.complete:
            self._select_after_reload = current  # on a later page: selected when it arrives
        elif total and not self.gallery.currentIndex().isValid():
            self.gallery.setCurrentIndex(self.model.index(0))
        elif not total:
            self.viewer.show_item(None)
        self._update_buttons()

    def _page_loaded(self) -> None:
        wanted = self._select_after_reload
        if wanted is not None and self.model.index_of(wanted).isValid():
            self._select_after_reload = None
            self.select(wanted)
        elif wanted is not None and self.model.complete:
            self._select_after_reload = None

    def _timestamps(self, coverage: timestamps.CaseCoverage) -> None:
        self.viewer.set_timestamps(coverage.covers)
        self.model.set_timestamps(coverage.covers)
        self.timestamp_label.setText(coverage.summary())
        self.timestamp_label.setVisible(bool(coverage.covers))

    def _days(self, days: list[str]) -> None:
        chosen = self.day_filter.currentData()
        self.day_filter.blockSignals(True)
        self.day_filter.clear()
        self.day_filter.addItem(_("Any day"), "")
        for day in days:
            self.day_filter.addItem(day, day)
        self.day_filter.setCurrentIndex(max(0, self.day_filter.findData(chosen or "")))
        self.day_filter.blockSignals(False)

    def schedule_reload(self) -> None:
        self._reload_timer.start()

    def _on_event(self, kind: str, object_id: str) -> None:
        if (
            kind in (Change.EVIDENCE, Change.CUSTODY) and object_id == self.case_id
        ) or kind == Change.TIMESTAMPS:
            self.schedule_reload()

    def select(self, item_id: str) -> None:
        index = self.model.index_of(item_id)
        if index.isValid():
            self.gallery.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            self.gallery.scrollTo(index)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.viewer.show_item(self.model.row_at(current.row()) if current.isValid() else None)
        self._update_buttons()

    def open_photo(self, index: QModelIndex) -> PhotoViewer | None:
        """The full-size viewer on this item, with the gallery's order for previous/next."""
        if not index.isValid():
            return None
        shown = self.photo_viewer
        if shown is not None and shiboken6.isValid(shown) and shown.isVisible():
            return shown  # activated and double-clicked both fired for one double-click
        viewer = PhotoViewer(
            self.store, self.model.row_at, self.model.rowCount, index.row(), self, self.fetches
        )
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.photo_viewer = viewer
        viewer.open()
        return viewer

    def _update_buttons(self) -> None:
        busy = self.cancel_token is not None
        row = self.viewer.row
        for button in (self.import_files_button, self.import_folder_button, self.inbox_button):
            button.setEnabled(not busy)
        self.annotate_button.setEnabled(
            not busy and row is not None and row.kind == EvidenceKind.IMAGE
        )
        self.export_button.setEnabled(not busy and self.model.rowCount() > 0)

    # -- import --------------------------------------------------------------------------------

    def choose_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, _("Import evidence files"))
        if paths:
            self.import_paths(paths)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Import a whole folder"))
        if folder:
            self.import_paths([folder])

    def import_inbox(self) -> None:
        def found(entries: object) -> None:
            paths = [e.path for e in entries]  # type: ignore[attr-defined]
            if not paths:
                self.show_summary(
                    _("The inbox ({folder}) has no new files.").format(
                        folder=inbox.inbox_folder(self.store)
                    ),
                    "",
                )
                return
            self.import_paths(paths)

        runner().run(inbox.new_files, self.store, on_done=found, on_error=self._failed)

    def import_paths(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        if self.cancel_token is not None:
            return
        token = CancelToken()
        self.cancel_token = token
        self.progress.setRange(0, 0)
        self.progress_label.setText(_("Looking at the files…"))
        self.progress_row.show()
        self.summary.clear()
        self.details.hide()
        self._update_buttons()
        runner().run(
            service.import_paths,
            self.store,
            self.case_id,
            list(paths),
            cancel=token,
            on_progress=self._progress,
            on_done=self._imported,
            on_error=self._failed,
        )

    def _progress(self, update: object) -> None:
        if not isinstance(update, ImportProgress):
            return
        self.progress.setRange(0, max(update.total, 1))
        self.progress.setValue(update.done)
        if update.name:
            self.progress_label.setText(
                _("Importing {done} of {total}: {name}").format(
                    done=update.done + 1, total=update.total, name=display_name(update.name)
                )
            )

    def cancel_import(self) -> None:
        if self.cancel_token is not None:
            self.cancel_token.cancel()
            self.progress_label.setText(_("Cancelling after the current file…"))

    def _imported(self, report: object) -> None:
        assert isinstance(report, ImportReport)
        self.cancel_token = None
        self.last_report = report
        self.progress_row.hide()
        text = _("{imported} imported · {dup} already present · {rejected} rejected").format(
            imported=report.imported, dup=report.duplicates, rejected=report.rejected
        )
        if report.cancelled:
            text += " · " + _("cancelled: {count} files not started").format(
                count=report.not_started
            )
        lines = [
            f"✗ {display_name(o.name)}: {o.reason}"
            for o in report.outcomes
            if o.status == ImportStatus.REJECTED
        ]
        lines += [
            f"• {display_name(o.name)}: {o.reason}"
            for o in report.outcomes
            if o.status != ImportStatus.REJECTED and o.reason
        ]
        self.show_summary(text, "\n".join(lines))
        self._update_buttons()
        self.reload()

    def show_summary(self, text: str, details: str, *, problem: bool = False) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {RED}; font-weight: bold;" if problem else "")
        self.details.setPlainText(details)
        self.details.setVisible(bool(details))

    def _failed(self, exc: BaseException) -> None:
        self.cancel_token = None
        self.progress_row.hide()
        self.show_summary(explain(exc), "", problem=True)
        self._update_buttons()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    def paste(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is None:
            return
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
        if paths:
            self.import_paths(paths)
            return
        if mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                # A pasted screenshot has no file: save it losslessly under a readable name.
                folder = Path(tempfile.mkdtemp(prefix="fairdesk-paste-"))
                name = datetime.now().strftime("pasted-%Y%m%d-%H%M%S.png")
                image.save(str(folder / name), b"PNG")
                self.import_paths([folder / name])
                return
        self.show_summary(_("The clipboard holds no files or picture to import."), "")

    # -- hide and purge ------------------------------------------------------------------------

    def item_menu(self, row: ItemRow) -> QMenu:
        """The right-click menu of an item (gallery tile or viewer picture)."""
        menu = QMenu(self)
        if row.purged:
            menu.addAction(_("Purged: the original was erased")).setEnabled(False)
            return menu
        if row.hidden_at is None:
            menu.addAction(_("Hide…"), lambda: self.open_hide(row))
        else:
            menu.addAction(_("Show again"), lambda: self.restore(row))
        menu.addSeparator()
        menu.addAction(_("Purge…"), lambda: self.open_purge(row))
        return menu

    def _gallery_menu(self, pos: QPoint) -> None:
        row = self.model.row_at(self.gallery.indexAt(pos).row())
        if row is not None:
            self.item_menu(row).popup(self.gallery.viewport().mapToGlobal(pos))

    def _viewer_menu(self, pos: QPoint) -> None:
        if self.viewer.row is not None:
            self.item_menu(self.viewer.row).popup(self.viewer.picture.mapToGlobal(pos))

    def open_hide(self, row: ItemRow) -> ReasonDialog:
        dialog = hide_dialog(row, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._run_item_action(service.hide_item, row, dialog))
        dialog.open()
        return dialog

    def open_purge(self, row: ItemRow) -> ReasonDialog:
        dialog = purge_dialog(row, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._run_item_action(hide_then_purge, row, dialog))
        dialog.open()
        return dialog

    def _run_item_action(
        self, action: Callable[[Store, str, str], ItemRow], row: ItemRow, dialog: ReasonDialog
    ) -> None:
        def done(changed: object) -> None:
            assert isinstance(changed, ItemRow)
            if changed.purged:
                text = _("The original of “{name}” was purged; the custody log records it and why.")
            else:
                text = _(
                    "“{name}” is hidden; its original stays in the evidence folder and the "
                    "reason is in the custody log. Tick “Show hidden items” to see it."
                )
            self.show_summary(text.format(name=changed.display_name), "")
            self.schedule_reload()

        runner().run(
            action,
            self.store,
            row.id,
            dialog.reason(),
            on_done=done,
            on_error=self._failed,
            owner=self,
        )

    def restore(self, row: ItemRow) -> None:
        def done(changed: object) -> None:
            assert isinstance(changed, ItemRow)
            self.show_summary(_("“{name}” is shown again.").format(name=changed.display_name), "")
            self.schedule_reload()

        runner().run(
            service.restore_item,
            self.store,
            row.id,
            on_done=done,
            on_error=self._failed,
            owner=self,
        )

    # -- annotate, verify, export --------------------------------------------------------------

    def open_annotate(self) -> AnnotateDialog | None:
        row = self.viewer.row
        if row is None or row.kind != EvidenceKind.IMAGE:
            return None
        dialog = AnnotateDialog(self.store, row, self.model.rows, self)
        dialog.created.connect(self._annotated)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _annotated(self, row: object) -> None:
        if isinstance(row, ItemRow):
            self.show_summary(
                _("Annotated copy saved as a new item: {name}. The original is unchanged.").format(
                    name=row.display_name
                ),
                "",
            )
            self._select_after_reload = row.id
            self.reload()

    def _fetch_progress(self, text: str) -> None:
        self.fetch_label.setText(text)
        self.fetch_label.setVisible(bool(text))

    def _case_fetch_progress(self, update: object) -> None:
        """Progress of "fetch what only HQ holds" before verify or export: file and whole case."""
        if isinstance(update, ondemand.Progress):
            self._fetch_progress(
                progress_line(
                    update.name,
                    update.done,
                    update.size,
                    update.index + 1,
                    update.count,
                    update.all_done,
                    update.all_size,
                )
            )

    def _fetch_case_then(self, then: Callable[[str], None]) -> None:
        """Download the case's files only HQ holds (network pool), then ``then(sentence)``:
        "" when everything is here, else the one sentence saying what is not downloaded."""

        def fetched(_shas: list[str]) -> None:
            self._fetch_progress("")
            then("")

        def not_fetched(exc: BaseException) -> None:
            self._fetch_progress("")
            if isinstance(exc, ondemand.NotDownloaded):
                then(str(exc))
            else:
                self._failed(exc)
                self.verify_button.setEnabled(True)

        runner().run(
            ondemand.ensure_case,
            self.store,
            self.case_id,
            on_done=fetched,
            on_error=not_fetched,
            on_progress=self._case_fetch_progress,
            pool="network",
            owner=self,
        )

    def run_verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.show_summary(_("Verifying: re-hashing every original of this case…"), "")

        def check(not_fetched: str) -> None:
            self._not_fetched = not_fetched
            runner().run(
                verify, self.store, self.case_id, on_done=self._verified, on_error=self._failed
            )

        self._fetch_case_then(check)

    def _verified(self, report: object) -> None:
        assert isinstance(report, VerifyReport)
        self.verify_button.setEnabled(True)
        self.last_verify = report
        not_fetched, self._not_fetched = self._not_fetched, ""
        if not_fetched:  # offline: what is here was checked, the rest is not downloaded yet
            lines = [p.what for p in report.problems] + [r.what for r in report.not_downloaded]
            self.show_summary(not_fetched, "\n".join(lines), problem=True)
            self.schedule_reload()
            return
        kept = "\n".join(k.what for k in report.kept_at_hq)  # removed for travel: not a problem
        if report.ok:
            self.show_summary(
                _(
                    "Verified: {items} originals match their recorded SHA-256; the "
                    "custody log ({entries} entries) is intact."
                ).format(items=report.items_checked, entries=report.log_entries),
                kept,
            )
        else:
            lines = [p.what for p in report.problems]
            if report.database != "ok":
                lines.insert(0, _("Database: {detail}").format(detail=report.database))
            self.show_summary(
                _("Verify found {count} problem(s):").format(count=len(lines)),
                "\n".join(lines + ([kept] if kept else [])),
                problem=True,
            )
        self.schedule_reload()

    def _startup_check(self) -> None:
        key = self.store.data_dir
        if key in _checked_at_startup:
            return
        _checked_at_startup.add(key)

        def done(report: object) -> None:
            if isinstance(report, VerifyReport) and not report.ok:
                self._verified(report)

        # Deferred: re-hashing recent originals must not compete with the first screen.
        QTimer.singleShot(
            STARTUP_CHECK_DELAY_MS,
            self,  # context: no call once the panel is gone
            lambda: runner().run(
                startup_check, self.store, on_done=done, on_error=self._failed, owner=self
            ),
        )

    def open_intake(self) -> IntakeDialog:
        """The phone intake window for this case (not modal: the gallery fills as files come)."""
        dialog = IntakeDialog(self.store, self.case_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def choose_export(self) -> ExportDialog:
        # One primary-key read for the case number: the name must be there when the dialog is.
        dialog = ExportDialog(Path.home() / default_file_name(self.store, self.case_id), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.export_to(dialog.target(), password=dialog.chosen_password())
        )
        dialog.open()
        return dialog

    def export_to(self, path: Path, password: str | None = None) -> None:
        self.export_button.setEnabled(False)
        self.show_summary(_("Exporting…"), "")

        def write(not_fetched: str) -> None:
            if not_fetched:  # nothing is written without every file of the case
                self._update_buttons()
                self.show_summary(not_fetched, "", problem=True)
                return
            self._write_export(path, password)

        self._fetch_case_then(write)

    def _write_export(self, path: Path, password: str | None) -> None:
        def done(result: object) -> None:
            assert isinstance(result, ExportResult)
            self.last_export = result
            self._update_buttons()
            details = _("SHA-256 of the bundle: {sha}\nSigning key fingerprint: {fp}").format(
                sha=result.sha256, fp=result.key_fingerprint
            )
            # Travel mode: those originals are listed without their bytes; HQ keeps them.
            kept = " " + kept_at_hq_text(result.kept_at_hq) if result.kept_at_hq else ""
            if result.how_to_open is not None:
                self.show_summary(
                    _(
                        "Exported {items} items and {documents} documents, protected with a "
                        "password, to {path}. Send the password separately; how to open it: "
                        "{how_to}"
                    ).format(
                        items=result.items,
                        documents=result.documents,
                        path=result.path,
                        how_to=result.how_to_open.name,
                    )
                    + kept,
                    details,
                )
                return
            self.show_summary(
                _(
                    "Exported {items} items and {documents} documents to {path}. To check it "
                    "anywhere: unpack it and run “python3 verify.py”."
                ).format(items=result.items, documents=result.documents, path=result.path)
                + kept,
                details,
            )

        from fairdesk.documents.service import export_entries  # loads the template engine

        runner().run(
            functools.partial(export_case, documents=export_entries, password=password),
            self.store,
            self.case_id,
            path,
            on_done=done,
            on_error=self._failed,
        )
