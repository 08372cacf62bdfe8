"""The case page's Documents panel: versions list, in-app preview, open, save as, print.

Nothing here reads the database or a stored file on the GUI thread: the list, the preview
(decrypted in an encrypted folder) and the copies for the viewer and Save as are made on the
``read`` pool of ``ui.tasks.runner()`` and shown when they arrive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fairdesk.cases import get_case
from fairdesk.documents import service
from fairdesk.documents.service import DocumentRow
from fairdesk.events import Change
from fairdesk.evidence import ondemand
from fairdesk.i18n import _
from fairdesk.store import Store
from sync.client import ondemand as device_fetcher
from ui import settings
from ui.documents.dialog import NewDocumentDialog
from ui.documents.printing import print_pdf
from ui.formatting import local_time
from ui.qt_events import bridge
from ui.tasks import explain, runner

log = logging.getLogger(__name__)
# Documents made on another device are downloaded from HQ when opened (HQ staff devices).
device_fetcher.install()
LANG_NAMES = {"zh": "中文", "en": "English", "de": "Deutsch"}


class DocumentsPanel(QWidget):
    def __init__(self, store: Store, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id = case_id
        self.case_number = ""  # for file names; read with the list (_read_list)
        self._generation = 0  # the newest list read; older answers are dropped
        self.rows: list[DocumentRow] = []
        self.last_dialog: NewDocumentDialog | None = None
        self.last_notice: QMessageBox | None = None
        self.buffer: QBuffer | None = None

        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [_("Document"), _("Language"), _("Format"), _("Version"), _("Created")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._selected)

        self.new_button = QPushButton(_("New document…"))
        self.open_button = QPushButton(_("Open in viewer"))
        self.save_button = QPushButton(_("Save as…"))
        self.print_button = QPushButton(_("Print…"))
        self.new_button.clicked.connect(self.new_document)
        self.open_button.clicked.connect(self.open_external)
        self.save_button.clicked.connect(self.save_as)
        self.print_button.clicked.connect(self.print_document)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.open_button, self.save_button, self.print_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.pdf = QPdfDocument(self)
        self.view = QPdfView()
        self.view.setDocument(self.pdf)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.info = QLabel()
        self.info.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.info)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.view)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self.refresh()
        bridge().changed.connect(self._core_changed)

    def _core_changed(self, kind: str, object_id: str) -> None:
        # A document of this case saved elsewhere (another window, the command line's pull,
        # a pull from HQ, which announces the case) joins the list without reopening the tab.
        if kind not in (Change.DOCUMENT, Change.CASE) or object_id != self.case_id:
            return
        self.refresh(only_if_changed=True)

    # -- list ------------------------------------------------------------------------------

    def refresh(self, select_id: str | None = None, *, only_if_changed: bool = False) -> None:
        """Re-read the list off the GUI thread, then show it and select ``select_id`` (else
        what was selected). ``only_if_changed``: leave the list and the preview as they are
        when the same documents are listed."""
        self._generation += 1
        generation = self._generation

        def arrived(found: tuple[str, list[DocumentRow]]) -> None:
            if generation != self._generation:
                return  # a newer read was started meanwhile
            self.case_number, rows = found
            if only_if_changed and [d.id for d in rows] == [d.id for d in self.rows]:
                return
            self._show_rows(rows, select_id)

        runner().run(
            _read_list,
            self.store,
            self.case_id,
            on_done=arrived,
            on_error=lambda exc: self.info.setText(explain(exc)),
            pool="read",
            owner=self,
        )

    def _show_rows(self, rows: list[DocumentRow], select_id: str | None) -> None:
        keep = self.current()
        self.rows = rows
        # The selection is by row number: a new version arrives at the top (newest first), so
        # the row number selected before now holds another document. Clear it while the rows
        # are replaced, then select by id and show what is selected.
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.setRowCount(len(self.rows))
        for r, doc in enumerate(self.rows):
            values = [
                doc.title,
                # "zh+de" (side by side) reads "中文 | Deutsch".
                " | ".join(LANG_NAMES.get(code, code) for code in doc.language.split("+")),
                doc.format.upper(),
                f"v{doc.version}",
                local_time(doc.created_at, settings.HOME_TIME_ZONE.get()),
            ]
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        wanted = select_id if select_id is not None else (keep.id if keep else None)
        for r, doc in enumerate(self.rows):
            if doc.id == wanted:
                self.table.selectRow(r)
        self.table.blockSignals(False)
        self._selected()

    def current(self) -> DocumentRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        doc = self.current()
        for b in (self.open_button, self.save_button):
            b.setEnabled(doc is not None)
        self.print_button.setEnabled(doc is not None and doc.format == "pdf")

    def _selected(self) -> None:
        self._update_buttons()
        doc = self.current()
        if doc is None:
            self.info.setText("")
            self.pdf.close()  # never leave another document's pages on screen
            return
        lines = [f"SHA-256 {doc.sha256}", _("Doc-Ref {ref}").format(ref=doc.doc_ref[:16])]
        lines += [f"⚠ {w}" for w in doc.warnings]
        self.info.setText("\n".join(lines))
        if doc.format == "pdf":
            self.preview(doc)
        else:
            self.pdf.close()

    def _with_file(self, doc: DocumentRow, then: Callable[[], None]) -> bool:
        """A document made on another device is downloaded from HQ first (network pool, with
        progress in the info line), then ``then()`` runs; False when it is here already."""
        if not service.held_at_hq(self.store, doc):
            return False
        wanted = doc.id

        def moved(update: object) -> None:
            if isinstance(update, ondemand.Progress) and self._current_id() == wanted:
                self.info.setText(
                    _("Downloading from HQ…") + f" {update.done * 100 // max(update.size, 1)} %"
                )

        def done(here: bool) -> None:
            if here:
                then()
            elif self._current_id() == wanted:
                self.info.setText(_("Held at HQ — not downloaded to this device"))

        def failed(exc: BaseException) -> None:
            if self._current_id() == wanted:
                self.info.setText(explain(exc))

        self.info.setText(_("Downloading from HQ…"))
        self.pdf.close()  # never another document's pages while this one is on its way
        runner().run(
            service.fetch_document,
            self.store,
            doc,
            on_done=done,
            on_error=failed,
            on_progress=moved,
            pool="network",
            owner=self,
        )
        return True

    def _current_id(self) -> str | None:
        doc = self.current()
        return doc.id if doc is not None else None

    def preview(self, doc: DocumentRow) -> None:
        """Fetch it first if only HQ holds it; then read (and, in an encrypted folder, decrypt)
        the file off the GUI thread and show it if it is still the selected document."""
        if self._with_file(doc, lambda: self._preview_if_current(doc)):
            return
        self.pdf.close()  # never leave another document's pages on screen meanwhile
        runner().run(
            service.read_document,
            self.store,
            doc,
            on_done=lambda data: self._show_pdf(doc, data),
            on_error=lambda exc: self._preview_failed(doc, exc),
            owner=self,
            pool="read",
        )

    def _preview_failed(self, doc: DocumentRow, exc: BaseException) -> None:
        current = self.current()
        if current is not None and current.id == doc.id:
            self.info.setText(explain(exc))

    def _show_pdf(self, doc: DocumentRow, data: bytes) -> None:
        current = self.current()
        if current is None or current.id != doc.id:
            return  # another document was selected meanwhile
        self.pdf.close()
        # Loaded from memory: a decrypted copy never touches the disk for a preview.
        self.buffer = QBuffer(self)
        self.buffer.setData(QByteArray(data))
        self.buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.pdf.load(self.buffer)
        if self.pdf.status() == QPdfDocument.Status.Error:
            self.info.setText(_("The PDF could not be shown here; open it in the viewer."))

    def _preview_if_current(self, doc: DocumentRow) -> None:
        if self._current_id() == doc.id:
            self.info.setText(f"SHA-256 {doc.sha256}")
            self.preview(doc)

    # -- actions ---------------------------------------------------------------------------

    def new_document(self) -> NewDocumentDialog:
        dialog = NewDocumentDialog(self.store, self.case_id, self)
        dialog.generated.connect(self._generated)
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def _generated(self, result: Any) -> None:
        doc = result.document
        self.refresh(select_id=doc.id if doc else None)  # selecting shows its warnings

    def open_external(self) -> None:
        doc = self.current()
        if doc is None or self._with_file(doc, self.open_external):
            return
        # The vault copy is read-only; the viewer gets a copy in exports/ to be safe.
        target = self.store.data_dir / "exports" / doc.file_name(self.case_number)

        def copied(path: Path) -> None:
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
                self.no_viewer_notice(path)

        self._copy(doc, target, copied)

    def _copy(self, doc: DocumentRow, target: Path, then: Callable[[Path], None]) -> None:
        """Copy (and in an encrypted folder decrypt) the stored file off the GUI thread."""
        runner().run(
            service.save_copy,
            self.store,
            doc,
            target,
            on_done=then,
            on_error=self._copy_failed,
            pool="read",
            owner=self,
        )

    def _copy_failed(self, exc: BaseException) -> None:
        QMessageBox.warning(self, _("Documents"), explain(exc))

    def no_viewer_notice(self, target: Path) -> QMessageBox:
        """No application opens this file type here (a fresh PC, a locked-down laptop): say so
        instead of doing nothing, and offer Save as… so the document can still be used."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            _("Documents"),
            _(
                "No application to open {format} files is set up on this computer. Use "
                "Save as… to put the document where you can open it or send it; a copy is "
                "also in {path}."
            ).format(format=target.suffix.lstrip(".").upper(), path=target.parent),
            QMessageBox.StandardButton.Close,
            self,
        )
        save = box.addButton(_("Save as…"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(save)
        save.clicked.connect(self.save_as)
        self.last_notice = box
        box.open()
        return box

    def save_as(self) -> None:
        doc = self.current()
        if doc is None or self._with_file(doc, self.save_as):
            return
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Save document as"), str(Path.home() / doc.file_name(self.case_number))
        )
        if not name:
            return
        self._copy(doc, Path(name), lambda _path: None)

    def print_document(self) -> None:
        doc = self.current()
        if doc is None or doc.format != "pdf":
            return
        message = print_pdf(self.pdf, self)
        if message:
            QMessageBox.information(self, _("Print"), message)


def _read_list(store: Store, case_id: str) -> tuple[str, list[DocumentRow]]:
    """The case number (for file names) and the case's documents, newest first."""
    return get_case(store, case_id).case.number, service.list_documents(store, case_id)
