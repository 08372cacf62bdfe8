"""The laptop side of "Receive from phones": choose a network, show the code, watch files arrive.

Nothing listens until the responder presses *Start receiving* on a network they chose (the
booth hotspot, the fair Wi-Fi, or this computer only). The dialog then shows a QR code with
the address and the one-time pairing code, the code in words, and the certificate fingerprint
the phone's browser can be compared against. Each phone that pairs appears in a list and is
named by the responder ("Li's phone"); that name goes into the custody entry of every file it
sends. Received files are listed live and appear in the case's gallery through the usual
``evidence_changed`` event.

The server runs on its own thread pool (:mod:`fairdesk.intake.server`); its events reach this
dialog as queued signals, and stopping it happens off the GUI thread. Closing the dialog stops
the intake; so do 30 minutes without a request.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import qrcode
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPixmap
from PySide6.QtNetwork import QAbstractSocket, QNetworkInterface
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fairdesk.evidence.rows import display_name
from fairdesk.evidence.vocab import ImportStatus
from fairdesk.i18n import _
from fairdesk.intake.server import IntakeServer
from fairdesk.intake.session import IDLE, IntakeEvent, IntakeSession, Phone, Received, Refused
from fairdesk.store import Store
from ui.theme import RED

LOOPBACK = "127.0.0.1"
QR_MODULE_PX = 5

STATUS_LABELS = {
    ImportStatus.IMPORTED: lambda: _("stored"),
    ImportStatus.DUPLICATE: lambda: _("already in the case"),
    ImportStatus.REJECTED: lambda: _("not kept"),
    ImportStatus.REFUSED: lambda: _("refused"),
}


def network_choices() -> list[tuple[str, str]]:
    """(label, IPv4 address) for every network this computer is on, then "this computer only"."""
    choices: list[tuple[str, str]] = []
    for interface in QNetworkInterface.allInterfaces():
        flags = interface.flags()
        if not flags & QNetworkInterface.InterfaceFlag.IsUp or (
            flags & QNetworkInterface.InterfaceFlag.IsLoopBack
        ):
            continue
        for entry in interface.addressEntries():
            address = entry.ip()
            if address.protocol() != QAbstractSocket.NetworkLayerProtocol.IPv4Protocol:
                continue
            name = interface.humanReadableName() or interface.name()
            choices.append((f"{name} — {address.toString()}", address.toString()))
    choices.append((_("This computer only ({address})").format(address=LOOPBACK), LOOPBACK))
    return choices


def qr_pixmap(text: str, module_px: int = QR_MODULE_PX) -> QPixmap:
    """The QR code of ``text`` drawn module by module (black on white, with a quiet zone)."""
    code = qrcode.QRCode(border=3, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    side = len(matrix)
    stride = (side + 3) // 4 * 4  # QImage rows are 32-bit aligned
    pixels = bytearray(b"\xff" * (stride * side))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[y * stride + x] = 0
    # One grey-scale image from a buffer (setPixel per module cost ~20 ms of GUI time).
    image = QImage(bytes(pixels), side, side, stride, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(
        image.scaled(side * module_px, side * module_px, Qt.AspectRatioMode.KeepAspectRatio)
    )


class _Relay(QObject):
    """Carries session events from the server's threads to the GUI thread (queued)."""

    arrived = Signal(str, object)


class IntakeDialog(QDialog):
    def __init__(self, store: Store, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.case_id = case_id
        self.server: IntakeServer | None = None
        self.last_server: IntakeServer | None = None  # the one stopped last (tests wait on it)
        self._relay = _Relay(self)
        self._relay.arrived.connect(self._on_event)
        self._phone_rows: dict[str, int] = {}
        self.received: list[Received] = []
        self.setWindowTitle(_("Receive from phones"))

        intro = QLabel(
            _(
                "Phones on the same network scan the code, then take or choose photos, videos "
                "or PDFs. They arrive in this case unchanged, hashed and logged. Nothing is "
                "reachable until you start, and nothing after you close this window."
            )
        )
        intro.setWordWrap(True)
        self.network = QComboBox()
        for label, address in network_choices():
            self.network.addItem(label, address)
        self.start_button = QPushButton(_("Start receiving"))
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton(_("Stop"))
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        choose = QHBoxLayout()
        choose.addWidget(QLabel(_("Network:")))
        choose.addWidget(self.network, 1)
        choose.addWidget(self.start_button)
        choose.addWidget(self.stop_button)

        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setMinimumSize(200, 200)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.address = QLabel("—")
        self.token = QLabel("—")
        self.fingerprint = QLabel("—")
        self.fingerprint.setFont(mono)
        self.fingerprint.setWordWrap(True)
        self.token.setFont(mono)
        for field in (self.address, self.token, self.fingerprint):
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state = QLabel(_("Not receiving."))
        self.state.setWordWrap(True)
        facts = QFormLayout()
        facts.addRow(_("Address:"), self.address)
        facts.addRow(_("One-time code:"), self.token)
        facts.addRow(_("Certificate (SHA-256):"), self.fingerprint)
        facts.addRow(self.state)
        top = QHBoxLayout()
        top.addWidget(self.qr)
        top.addLayout(facts, 1)

        self.phones = QTableWidget(0, 3)
        self.phones.setHorizontalHeaderLabels(
            [_("Phone (double-click to name)"), _("Address"), _("Browser")]
        )
        self.phones.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.phones.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.phones.verticalHeader().hide()
        self.phones.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.phones.itemChanged.connect(self._phone_renamed)
        self.phones.setMaximumHeight(120)

        self.files = QTableWidget(0, 5)
        self.files.setHorizontalHeaderLabels(
            [_("Time"), _("Sent by"), _("File"), _("SHA-256"), _("Result")]
        )
        self.files.setColumnWidth(3, 180)
        self.files.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.files.verticalHeader().hide()
        self.files.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        close = QPushButton(_("Close"))
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(choose)
        layout.addLayout(top)
        layout.addWidget(QLabel(_("Phones")))
        layout.addWidget(self.phones)
        layout.addWidget(QLabel(_("Received files")))
        layout.addWidget(self.files, 1)
        layout.addLayout(bottom)
        self.resize(760, 640)

    # -- starting and stopping ---------------------------------------------------------------

    def start(self) -> None:
        host = str(self.network.currentData() or LOOPBACK)
        try:
            session = IntakeSession(self.store, self.case_id)
            server = IntakeServer(session, host, 0)
        except (OSError, Refused) as exc:
            self.state.setText(
                _("Could not start receiving on {host}: {error}").format(
                    host=host, error=getattr(exc, "strerror", None) or exc
                )
            )
            return
        session.subscribe(lambda event, payload: self._relay.arrived.emit(event, payload))
        self.server = server
        self.network.setEnabled(False)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.address.setText(server.url)
        half = len(server.certificate.fingerprint) // 2 + 1  # 32 of 64 pairs per line
        fp = server.certificate.fingerprint
        self.fingerprint.setText(fp[:half] + "\n" + fp[half:])
        self._show_code()
        self.state.setText(
            _(
                "Receiving. Each code connects one phone and expires after 10 minutes; a new "
                "code appears when a phone has connected. Closes after 30 minutes without "
                "activity."
            )
        )

    def _show_code(self) -> None:
        if self.server is None:
            return
        self.token.setText(self.server.session.token)
        self.qr.setPixmap(qr_pixmap(self.server.pairing_url))

    def stop(self) -> None:
        """Stop serving (off the GUI thread: it waits for the server loop to notice)."""
        server, self.server = self.server, None
        if server is not None:
            threading.Thread(target=server.close, name="intake-close", daemon=True).start()
        self._stopped(_("Stopped. Nothing is reachable any more."))
        self.last_server = server

    def _stopped(self, text: str) -> None:
        self.network.setEnabled(True)
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.qr.clear()
        for field in (self.address, self.token, self.fingerprint):
            field.setText("—")
        self.state.setText(text)

    def closeEvent(self, event: Any) -> None:
        self.stop()
        super().closeEvent(event)

    # -- events from the server --------------------------------------------------------------

    def _on_event(self, event: str, payload: object) -> None:
        if event == IntakeEvent.PHONE and isinstance(payload, Phone):
            self._show_phone(payload)
        elif event == IntakeEvent.FILE and isinstance(payload, Received):
            self._show_file(payload)
        elif event == IntakeEvent.TOKEN:
            self._show_code()
        elif event == IntakeEvent.CLOSED and payload == IDLE and self.server is not None:
            self.server = None
            self._stopped(_("Closed after 30 minutes without activity. Start again when needed."))

    def _show_phone(self, phone: Phone) -> None:
        self.phones.blockSignals(True)
        row = self._phone_rows.get(phone.id)
        new = row is None
        if row is None:
            row = self.phones.rowCount()
            self.phones.insertRow(row)
            self._phone_rows[phone.id] = row
        name = QTableWidgetItem(phone.name)
        name.setData(Qt.ItemDataRole.UserRole, phone.id)
        self.phones.setItem(row, 0, name)
        for column, text in ((1, phone.address), (2, phone.user_agent)):
            item = QTableWidgetItem(text)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            item.setToolTip(text)
            self.phones.setItem(row, column, item)
        self.phones.blockSignals(False)
        if new:
            self.state.setText(
                _("A phone connected from {address}: type its name (e.g. “Li's phone”).").format(
                    address=phone.address
                )
            )
            self.phones.setCurrentCell(row, 0)
            self.phones.editItem(name)

    def _phone_renamed(self, item: QTableWidgetItem) -> None:
        if item.column() != 0 or self.server is None:
            return
        phone_id = str(item.data(Qt.ItemDataRole.UserRole))
        self.rename_phone(phone_id, item.text())

    def rename_phone(self, phone_id: str, name: str) -> None:
        if self.server is not None:
            phone = self.server.session.rename_phone(phone_id, name)
            self.state.setText(
                _("“{name}” is connected; its files are logged under this name.").format(
                    name=phone.name
                )
            )

    def _show_file(self, received: Received) -> None:
        self.received.append(received)
        row = self.files.rowCount()
        self.files.insertRow(row)
        label = STATUS_LABELS.get(received.status, lambda: received.status)()
        if received.reason:
            label = f"{label} — {received.reason}"
        values = [
            datetime.now().strftime("%H:%M:%S"),
            received.phone_name,
            display_name(received.name),
            received.sha256,
            label,
        ]
        for column, text in enumerate(values):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if received.status in (ImportStatus.REFUSED, ImportStatus.REJECTED):
                item.setForeground(QColor(RED))
            self.files.setItem(row, column, item)
        self.files.scrollToBottom()
