"""The Sync page: state, "Sync now", enrolment, the outbox by state (with HQ's reasons) and
upload progress per file. Lists are read on the ``read`` pool; enrolment on ``network``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fairdesk.enums import OutboxState
from fairdesk.i18n import _
from fairdesk.store import Store
from sync.client.enroll import Enrolled, enroll
from sync.client.status import SyncStatus, outbox_rows, upload_rows
from ui import settings
from ui.formatting import local_time
from ui.sync.controller import SyncController, controller_for, state_text
from ui.sync.indicator import human_bytes
from ui.tasks import explain, runner

STATE_LABELS: dict[str, Callable[[], str]] = {
    OutboxState.WAITING: lambda: _("Waiting"),
    OutboxState.SENDING: lambda: _("Sending"),
    OutboxState.SENT: lambda: _("Sent"),
    OutboxState.REJECTED: lambda: _("Rejected"),
    OutboxState.CONFLICT: lambda: _("In conflict"),
    # the upload queue's states (blob_queue)
    "uploading": lambda: _("Uploading"),
    "done": lambda: _("Uploaded"),
    "failed": lambda: _("Not sent"),
}
ENTITY_LABELS = {
    "case": lambda: _("Case"),
    "fair": lambda: _("Fair"),
    "party": lambda: _("Party"),
    "ip_right": lambda: _("IP right"),
    "deadline": lambda: _("Deadline"),
    "note": lambda: _("Note"),
    "timeline_event": lambda: _("History entry"),
    "evidence_item": lambda: _("Evidence item"),
    "custody_event": lambda: _("Custody entry"),
    "document": lambda: _("Document"),
}
OP_LABELS = {
    "insert": lambda: _("added"),
    "update": lambda: _("changed"),
    "delete": lambda: _("deleted"),
}


def qr_decoder_available() -> bool:
    """A QR image decoder is optional; without one the code is pasted."""
    try:
        import zxingcpp  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class SyncPage(QWidget):
    def __init__(self, store: Store, controller: SyncController | None = None) -> None:
        super().__init__()
        self.store = store
        self.controller = controller or controller_for(store)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        title = QLabel(_("Sync with HQ"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)

        top = QHBoxLayout()
        self.state_label = QLabel()
        self.state_label.setObjectName("sectionTitle")
        self.summary = QLabel()
        self.summary.setObjectName("subtitle")
        self.summary.setWordWrap(True)
        # A wrapped label otherwise grows into the space meant for the tables.
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        column = QVBoxLayout()
        column.addWidget(self.state_label)
        column.addWidget(self.summary)
        top.addLayout(column, 1)
        self.sync_button = QPushButton(_("Sync now"))
        self.sync_button.clicked.connect(self.controller.sync_now)
        top.addWidget(self.sync_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)

        self.enrol_box = QGroupBox(_("Connect this computer to HQ"))
        form = QFormLayout(self.enrol_box)
        self.server_edit = QLineEdit()
        self.server_edit.setPlaceholderText("https://hq.example.com")
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText(_("Paste the one-time code from HQ"))
        code_row = QHBoxLayout()
        code_row.addWidget(self.code_edit, 1)
        self.qr_button = QPushButton(_("Load QR image…"))
        self.qr_button.setVisible(qr_decoder_available())
        self.qr_button.clicked.connect(self._load_qr)
        code_row.addWidget(self.qr_button)
        self.enrol_button = QPushButton(_("Connect"))
        self.enrol_button.clicked.connect(self._enrol)
        self.enrol_message = QLabel()
        self.enrol_message.setWordWrap(True)
        form.addRow(_("HQ server address"), self.server_edit)
        form.addRow(_("Enrolment code"), code_row)
        form.addRow("", self.enrol_button)
        form.addRow("", self.enrol_message)
        layout.addWidget(self.enrol_box)

        layout.addWidget(self._section(_("Changes waiting for HQ")))
        self.outbox = QTableWidget(0, 5)
        self.outbox.setHorizontalHeaderLabels(
            [_("#"), _("Record"), _("Change"), _("State"), _("Reason from HQ")]
        )
        self.outbox.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.outbox.verticalHeader().setVisible(False)
        self.outbox.setAlternatingRowColors(True)
        layout.addWidget(self.outbox, 3)

        layout.addWidget(self._section(_("Files")))
        self.uploads = QTableWidget(0, 4)
        self.uploads.setHorizontalHeaderLabels([_("File"), _("Size"), _("Progress"), _("State")])
        self.uploads.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.uploads.verticalHeader().setVisible(False)
        layout.addWidget(self.uploads, 1)

        self.controller.state_changed.connect(self._state)
        self.controller.status_changed.connect(self._status)
        self.controller.finished.connect(lambda _r: self.reload())
        self.controller.progress.connect(self._progress)
        self._state(self.controller.state, self.controller.detail)
        QTimer.singleShot(0, self.reload)

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("sectionTitle")
        return label

    # -- state -----------------------------------------------------------------------------

    def _state(self, state: str, detail: str) -> None:
        self.state_label.setText(state_text(state))
        if detail:
            self.summary.setText(detail)

    def _status(self, status: SyncStatus) -> None:
        self.enrol_box.setVisible(not status.enrolled)
        self.sync_button.setEnabled(status.enrolled)
        if not status.enrolled:
            self.summary.setText(
                _("Work goes on offline; connect to HQ to send it. Nothing is lost meanwhile.")
            )
            return
        last = (
            local_time(status.last_success_at, settings.HOME_TIME_ZONE.get())
            if status.last_success_at
            else _("never")
        )
        counts = status.outbox
        self.summary.setText(
            _(
                "{server} · {tenant} ({role}) · waiting {waiting}, rejected {rejected}, "
                "in conflict {conflict} · {uploads} files to upload ({size}) · last sync {last}"
            ).format(
                server=status.server_url,
                tenant=status.tenant,
                role=status.role,
                waiting=status.unsent,
                rejected=counts.get(OutboxState.REJECTED, 0),
                conflict=counts.get(OutboxState.CONFLICT, 0),
                uploads=status.uploads_pending,
                size=human_bytes(status.upload_bytes_pending),
                last=last,
            )
        )

    def _progress(self, progress: Any) -> None:
        if progress.phase == "upload":
            for row in range(self.uploads.rowCount()):
                item = self.uploads.item(row, 0)
                if item is not None and item.data(Qt.ItemDataRole.UserRole) == progress.detail:
                    pct = int(100 * progress.done / max(progress.total, 1))
                    self.uploads.setItem(row, 2, _item(f"{pct}%"))

    # -- lists -----------------------------------------------------------------------------

    def reload(self) -> None:
        runner().run(self._load, pool="read", on_done=self._fill)
        self.controller.refresh_status()

    def _load(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return outbox_rows(self.store, limit=500), upload_rows(self.store)

    def _fill(self, rows: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        entries, files = rows
        # Unsettled and problematic first: what the user may need to act on.
        order = {
            OutboxState.REJECTED: 0,
            OutboxState.CONFLICT: 1,
            OutboxState.SENDING: 2,
            OutboxState.WAITING: 3,
            OutboxState.SENT: 4,
        }
        entries = sorted(entries, key=lambda r: (order.get(r["state"], 5), -r["mutation_id"]))
        self.outbox.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            entity = ENTITY_LABELS.get(entry["entity"], lambda e=entry: e["entity"])()
            op = OP_LABELS.get(entry["op"], lambda e=entry: e["op"])()
            state = STATE_LABELS.get(entry["state"], lambda e=entry: e["state"])()
            for col, text in enumerate(
                (str(entry["mutation_id"]), entity, op, state, entry["reason"] or "")
            ):
                self.outbox.setItem(row, col, _item(text))
        self.uploads.setRowCount(len(files))
        for row, blob in enumerate(files):
            name = blob["name"] or blob["sha256"][:12]
            first = _item(name)
            first.setData(Qt.ItemDataRole.UserRole, blob["sha256"])
            first.setToolTip(f"SHA-256 {blob['sha256']}")
            pct = (
                100 if blob["state"] == "done" else int(100 * blob["offset"] / max(blob["size"], 1))
            )
            state = STATE_LABELS.get(blob["state"], lambda b=blob: b["state"])()
            if blob["reason"]:
                state = f"{state}: {blob['reason']}"
            self.uploads.setItem(row, 0, first)
            self.uploads.setItem(row, 1, _item(human_bytes(blob["size"])))
            self.uploads.setItem(row, 2, _item(f"{pct}%"))
            self.uploads.setItem(row, 3, _item(state))

    # -- enrolment -------------------------------------------------------------------------

    def _enrol(self) -> None:
        server, code = self.server_edit.text().strip(), self.code_edit.text().strip()
        if not server or not code:
            self.enrol_message.setText(_("Enter the HQ server address and the code."))
            return
        self.enrol_button.setEnabled(False)
        self.enrol_message.setText(_("Connecting…"))
        runner().run(
            enroll,
            self.store,
            server,
            code,
            pool="network",
            on_done=self._enrolled,
            on_error=self._enrol_failed,
        )

    def _enrolled(self, done: Enrolled) -> None:
        self.enrol_button.setEnabled(True)
        self.enrol_message.setText(
            _("Connected to {tenant} as {role}.").format(tenant=done.tenant_name, role=done.role)
        )
        self.controller.sync_now()
        self.reload()

    def _enrol_failed(self, exc: BaseException) -> None:
        self.enrol_button.setEnabled(True)
        self.enrol_message.setText(explain(exc))

    def _load_qr(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("QR code image"), "", _("Images (*.png *.jpg *.jpeg)")
        )
        if not path:
            return
        import zxingcpp
        from PIL import Image

        found = zxingcpp.read_barcodes(Image.open(path))
        if found:
            self.code_edit.setText(found[0].text.strip())
        else:
            self.enrol_message.setText(_("No QR code found in that image."))
