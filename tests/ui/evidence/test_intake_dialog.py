"""The "Receive from phones" window on a case's Evidence tab, driven as a responder would.

A real HTTPS intake on 127.0.0.1, a phone client speaking the page's protocol, the live list,
naming the phone, the gallery filling, closing → nothing reachable. Screenshots in English and
Chinese go to build/screenshots/intake/.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from fairdesk.evidence import service
from fairdesk.evidence.vocab import ImportStatus
from fairdesk.i18n import set_language
from fairdesk.store import Store
from tests.fairdesk.intake.conftest import Intake, new_case, photo_bytes
from ui.evidence.panel import EvidencePanel

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots" / "intake"


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_receive_from_phones_names_the_phone_and_fills_the_gallery(
    qtbot: QtBot, store: Store, lang: str
) -> None:
    set_language(lang)
    try:
        case_id = new_case(store)
        panel = EvidencePanel(store, case_id)
        qtbot.addWidget(panel)
        dialog = panel.open_intake()
        assert dialog.server is None  # never opened by default
        dialog.network.setCurrentIndex(dialog.network.findData("127.0.0.1"))
        dialog.start_button.click()
        server = dialog.server
        assert server is not None and server.host == "127.0.0.1"
        assert dialog.token.text() == server.session.token
        assert dialog.fingerprint.text().replace("\n", "") == server.certificate.fingerprint
        assert not dialog.qr.pixmap().isNull()
        phone = Intake(server)
        key = phone.paired_key()
        qtbot.waitUntil(lambda: dialog.phones.rowCount() == 1)
        assert dialog.token.text() == server.session.token  # a fresh code for the next phone
        name = dialog.phones.item(0, 0)
        name.setText("Li's phone")  # what the responder types on first contact
        assert server.session.phones()[0].name == "Li's phone"
        for seed in (1, 2):
            result = phone.send(key, f"IMG_{seed}.JPG", photo_bytes(seed)).json()["result"]
            assert result["status"] == ImportStatus.IMPORTED
        exe = b"MZ\x90\x00" + bytes(range(256)) * 8
        assert phone.send(key, "setup.jpg", exe).status_code == 415
        qtbot.waitUntil(lambda: dialog.files.rowCount() == 3)
        qtbot.waitUntil(lambda: panel.gallery.model().rowCount() == 2)
        log = [json.loads(r.details) for r in service.custody_log(store, case_id) if r.item_sha256]
        assert [d["received_from"] for d in log] == ["Li's phone", "Li's phone"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(SHOTS / f"laptop-{lang}.png"))
        port = server.port
        dialog.close()
        assert dialog.last_server is server and server.wait_closed(10)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        set_language("en")


def test_the_window_lists_networks_and_this_computer(qtbot: QtBot, store: Store) -> None:
    panel = EvidencePanel(store, new_case(store))
    qtbot.addWidget(panel)
    dialog = panel.open_intake()
    addresses = [dialog.network.itemData(i) for i in range(dialog.network.count())]
    assert addresses[-1] == "127.0.0.1"
    assert all(a.count(".") == 3 for a in addresses)
    dialog.close()
