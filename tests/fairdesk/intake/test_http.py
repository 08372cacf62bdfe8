"""The intake's HTTP surface against a real HTTPS server on 127.0.0.1, used like a phone would.

Every refusal is checked for its status and for what it must not leave behind: no evidence
row, no vault blob, no staged bytes, no custody entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from fairdesk.evidence import service
from fairdesk.evidence.vocab import CustodyAction, EvidenceKind, ImportStatus
from fairdesk.intake.session import IDLE, IntakeEvent
from fairdesk.store import Store
from tests.fairdesk.intake.conftest import Intake, photo_bytes


def vault_files(store: Store) -> list[Path]:
    return sorted(
        p for p in (store.data_dir / "vault").rglob("*") if p.is_file() and len(p.name) == 64
    )


def staged_files(store: Store) -> list[Path]:
    return sorted(p for p in (store.data_dir / "intake").rglob("*") if p.is_file())


def nothing_stored(store: Store, case_id: str) -> None:
    assert service.list_items(store, case_id) == []
    assert vault_files(store) == []
    assert staged_files(store) == []
    assert [r for r in service.custody_log(store, case_id) if r.item_sha256] == []


def test_a_photo_arrives_byte_exact_with_its_custody_entry(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    data = photo_bytes(1, (1600, 1200))
    key = intake.paired_key()
    response = intake.send(
        key, "IMG_0001.JPG", data, hashlib.sha256(data).hexdigest(), chunk=50_000
    )
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["status"] == ImportStatus.IMPORTED
    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    assert result["hashed_on_phone"] is True
    (item,) = service.list_items(intake_store, intake_case)
    assert item.original_name == "IMG_0001.JPG" and item.kind == EvidenceKind.IMAGE
    with service.open_original(intake_store, item.sha256) as handle:
        assert handle.read() == data
    (entry,) = [r for r in service.custody_log(intake_store, intake_case) if r.item_id == item.id]
    assert entry.action == CustodyAction.IMPORT
    assert '"received_from":"Phone 1"' in entry.details
    assert '"address":"127.0.0.1"' in entry.details
    assert "TestPhone/1.0" in entry.details
    assert "received from Phone 1 (127.0.0.1, TestPhone/1.0) at " in entry.details
    assert "computed on the phone" in entry.details
    assert staged_files(intake_store) == []


def test_without_a_phone_hash_the_laptop_hashes_and_says_so(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    data = photo_bytes(2)
    key = intake.paired_key()
    response = intake.send(key, "scan.jpg", data)
    result = response.json()["result"]
    assert result["status"] == ImportStatus.IMPORTED and result["hashed_on_phone"] is False
    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    (entry,) = [r for r in service.custody_log(intake_store, intake_case) if r.item_sha256]
    assert "computed by the laptop on arrival" in entry.details


def test_a_renamed_phone_signs_the_custody_entry(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    key = intake.paired_key()
    (phone,) = intake.session.phones()
    intake.session.rename_phone(phone.id, "Li's phone")
    assert (
        intake.send(key, "a.jpg", photo_bytes(3)).json()["result"]["status"]
        == ImportStatus.IMPORTED
    )
    (entry,) = [r for r in service.custody_log(intake_store, intake_case) if r.item_sha256]
    assert "received from Li's phone (127.0.0.1" in entry.details


def test_wrong_or_missing_token_is_403_and_nothing_is_stored(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    assert intake.pair("not-the-token").status_code == 403
    assert intake.pair("").status_code == 403
    data = photo_bytes(4)
    for key in ("", "forged-key"):
        assert intake.announce(key, "a.jpg", data).status_code == 403
        assert intake.put(key, "0" * 32, 0, data).status_code == 403
    assert intake.session.phones() == []
    nothing_stored(intake_store, intake_case)


def test_an_expired_token_is_refused(
    make_intake: Callable[..., Intake], intake_store: Store, intake_case: str
) -> None:
    now = [1000.0]
    intake = make_intake(token_ttl=timedelta(minutes=10), clock=lambda: now[0])
    token = intake.session.token
    now[0] += 10 * 60 + 1
    response = intake.pair(token)
    assert response.status_code == 403 and response.json()["error"] == "token_expired"
    intake.session.maintain()  # the laptop shows a fresh code
    assert intake.session.token != token
    assert intake.pair(token).status_code == 403
    assert intake.pair().status_code == 200
    nothing_stored(intake_store, intake_case)


def test_a_token_pairs_one_phone_only(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    token = intake.session.token
    assert intake.pair(token).status_code == 200
    second = intake.pair(token)
    assert second.status_code == 403 and second.json()["error"] == "bad_token"
    assert len(intake.session.phones()) == 1
    assert intake.session.token != token  # the next phone gets its own code
    assert intake.pair().status_code == 200
    assert len(intake.session.phones()) == 2


def test_a_program_renamed_jpg_is_refused_with_a_reason(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 40
    key = intake.paired_key()
    response = intake.send(key, "holiday.jpg", exe, hashlib.sha256(exe).hexdigest(), chunk=4096)
    assert response.status_code == 415
    body = response.json()
    assert body["error"] == "not_accepted" and body["mime"] == "application/octet-stream"
    assert "Only photos, videos and PDF files are accepted" in body["message"]
    nothing_stored(intake_store, intake_case)
    refused = [p for e, p in intake.events if e == IntakeEvent.FILE]
    assert [r.status for r in refused] == [ImportStatus.REFUSED]


def test_a_file_over_the_cap_is_refused_before_a_byte_is_sent(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    key = intake.paired_key()
    big = photo_bytes(5) + b"\0" * (3 << 20)  # the cap in this fixture is 2 MB
    response = intake.announce(key, "big.jpg", big)
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "too_large" and body["limit"] == 2 << 20
    assert "at most 2.0 MB per file" in body["message"]
    nothing_stored(intake_store, intake_case)


def test_more_bytes_than_announced_are_refused(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    key = intake.paired_key()
    data = photo_bytes(6)
    state = intake.announce(key, "a.jpg", data[:1000]).json()
    assert intake.put(key, state["id"], 0, data).status_code == 400
    assert service.list_items(intake_store, intake_case) == []


def test_bytes_that_do_not_match_the_phone_hash_are_refused(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    data = photo_bytes(7)
    key = intake.paired_key()
    response = intake.send(key, "a.jpg", data, hashlib.sha256(b"other").hexdigest())
    assert response.status_code == 422 and response.json()["error"] == "hash_mismatch"
    nothing_stored(intake_store, intake_case)


def test_path_like_names_and_paths_are_neutralised(
    intake: Intake, intake_store: Store, intake_case: str, tmp_path: Path
) -> None:
    key = intake.paired_key()
    for path in (
        "/../../x",
        "/api/uploads/../../x",
        "/%2e%2e/%2e%2e/x",
        "/api/",
        "/resources/intake/index.html",
        "/intake.js/../../x",
    ):
        response = intake.http.get(
            intake.base + path, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        assert response.status_code == 404, path
    put = intake.http.put(
        intake.base + "/api/uploads/..%2F..%2Fx",
        data=b"x",
        headers={"Authorization": f"Bearer {key}", "Upload-Offset": "0"},
        timeout=30,
    )
    assert put.status_code == 404
    nothing_stored(intake_store, intake_case)
    # A file *named* like a path keeps only its last part, and lands in the vault by hash.
    data = photo_bytes(8)
    result = intake.send(key, "../../x.jpg", data).json()["result"]
    assert result["status"] == ImportStatus.IMPORTED
    (item,) = service.list_items(intake_store, intake_case)
    assert item.original_name == "x.jpg"
    assert not (intake_store.data_dir.parent / "x.jpg").exists()
    assert not (intake_store.data_dir / "x.jpg").exists()


def test_resume_after_a_cut_continues_at_the_confirmed_offset(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    data = photo_bytes(9, (1200, 900), "PNG")
    key = intake.paired_key()
    state = intake.announce(key, "p.png", data).json()
    half = len(data) // 2
    assert intake.put(key, state["id"], 0, data[:half]).json()["offset"] == half
    wrong = intake.put(key, state["id"], 0, data[:100])
    assert wrong.status_code == 409 and wrong.json()["offset"] == half
    # The page reloaded: announcing the same file again finds the upload where it stood.
    again = intake.announce(key, "p.png", data).json()
    assert again["id"] == state["id"] and again["offset"] == half
    last = intake.put(key, state["id"], half, data[half:]).json()
    assert last["offset"] == len(data)
    done = intake.outcome(key, state["id"]).json()
    assert done["result"]["status"] == ImportStatus.IMPORTED
    (item,) = service.list_items(intake_store, intake_case)
    with service.open_original(intake_store, item.sha256) as handle:
        assert handle.read() == data


def test_the_same_photo_twice_is_stored_once(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    data = photo_bytes(10)
    first, second = intake.paired_key(), intake.paired_key()
    assert intake.send(first, "a.jpg", data).json()["result"]["status"] == ImportStatus.IMPORTED
    assert intake.send(second, "b.jpg", data).json()["result"]["status"] == ImportStatus.DUPLICATE
    assert len(service.list_items(intake_store, intake_case)) == 1


def test_nothing_is_reachable_after_close(intake: Intake, intake_store: Store) -> None:
    key = intake.paired_key()
    port = intake.server.port
    intake.server.close()
    assert intake.session.closed
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(requests.ConnectionError):
        intake.announce(key, "a.jpg", photo_bytes(11))
    intake.session.staging_removed.result(timeout=60)  # removed on the import thread, after close
    assert not (intake.session.staging).exists()


def test_an_idle_session_closes_itself(make_intake: Callable[..., Intake]) -> None:
    now = [0.0]
    intake = make_intake(idle_timeout=timedelta(minutes=30), clock=lambda: now[0])
    port = intake.server.port
    now[0] += 30 * 60 + 1
    intake.session.maintain()
    assert intake.session.closed_reason == IDLE
    assert intake.server.wait_closed(10)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_the_certificate_served_is_the_one_whose_fingerprint_is_shown(intake: Intake) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", intake.server.port), timeout=10) as raw,
        context.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    shown = intake.server.certificate.fingerprint.replace(":", "").lower()
    assert hashlib.sha256(der).hexdigest() == shown


def test_the_phone_page_is_served_with_a_strict_policy(intake: Intake) -> None:
    page = intake.http.get(intake.base + "/", timeout=30)
    assert page.status_code == 200 and "intake.js" in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    script = intake.http.get(intake.base + "/intake.js", timeout=30)
    assert script.status_code == 200 and "crypto.subtle" in script.text


def test_half_sent_bytes_wait_on_disk_encrypted(
    intake: Intake, intake_store: Store, intake_case: str
) -> None:
    """A half-sent photo (the Wi-Fi dropped) holds no plaintext in the data folder."""
    canary = b"CANARY-booth-17-secret-drawing" * 40
    data = photo_bytes(12)
    data = data[:2] + b"\xff\xfe" + (len(canary) + 2).to_bytes(2, "big") + canary + data[2:]
    key = intake.paired_key()
    state = intake.announce(key, "drawing.jpg", data).json()
    half = len(data) // 2
    assert intake.put(key, state["id"], 0, data[:half]).json()["offset"] == half
    (staged,) = staged_files(intake_store)
    on_disk = staged.read_bytes()
    assert len(on_disk) == half
    assert b"CANARY" not in on_disk and data[:64] not in on_disk
    intake.put(key, state["id"], half, data[half:])
    assert intake.outcome(key, state["id"]).json()["result"]["status"] == ImportStatus.IMPORTED
    (item,) = service.list_items(intake_store, intake_case)
    with service.open_original(intake_store, item.sha256) as handle:
        assert handle.read() == data
    assert staged_files(intake_store) == []


def test_two_phones_at_once_ten_photos_and_a_video(
    make_intake: Callable[..., Intake], intake_store: Store, intake_case: str
) -> None:
    """The "done when" scene: two phones pair, one sends ten photos while the other a video."""
    intake = make_intake(max_file_size=64 << 20)
    li, wang = intake.paired_key(), intake.paired_key()
    first, second = intake.session.phones()
    intake.session.rename_phone(first.id, "Li's phone")
    intake.session.rename_phone(second.id, "Wang's phone")
    photos = {f"IMG_{i:04d}.JPG": photo_bytes(100 + i, (1280, 960)) for i in range(10)}
    video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + os.urandom(3 << 20)
    outcomes: dict[str, str] = {}

    def send_photos() -> None:
        for name, data in photos.items():
            outcomes[name] = intake.send(li, name, data).json()["result"]["status"]

    sender = threading.Thread(target=send_photos)
    sender.start()
    outcomes["VID_0001.MP4"] = intake.send(
        wang, "VID_0001.MP4", video, hashlib.sha256(video).hexdigest()
    ).json()["result"]["status"]
    sender.join(timeout=120)
    assert set(outcomes.values()) == {ImportStatus.IMPORTED} and len(outcomes) == 11
    items = {i.original_name: i for i in service.list_items(intake_store, intake_case)}
    assert items["VID_0001.MP4"].kind == EvidenceKind.VIDEO
    assert sorted(k for k, i in items.items() if i.kind == EvidenceKind.IMAGE) == sorted(photos)
    senders = {
        json.loads(r.details)["name"]: json.loads(r.details)["received_from"]
        for r in service.custody_log(intake_store, intake_case)
        if r.item_sha256
    }
    assert senders == {**{n: "Li's phone" for n in photos}, "VID_0001.MP4": "Wang's phone"}


def test_an_encrypted_data_folder_gets_ciphertext_in_its_vault(tmp_path: Path) -> None:
    from fairdesk.crypto import keys
    from fairdesk.intake.server import IntakeServer
    from fairdesk.intake.session import IntakeSession
    from fairdesk.store import open_store
    from tests.conftest import TEST_PASSPHRASE
    from tests.fairdesk.intake.conftest import new_case

    data_dir = tmp_path / "data"
    setup = keys.create_keyfile(data_dir, TEST_PASSPHRASE, params=keys.TEST_KDF)
    store = open_store(data_dir, data_key=setup.data_key)
    server = IntakeServer(IntakeSession(store, new_case(store)), "127.0.0.1", 0)
    try:
        intake = Intake(server)
        data = photo_bytes(31)
        result = intake.send(intake.paired_key(), "a.jpg", data).json()["result"]
        assert result["status"] == ImportStatus.IMPORTED
        with service.open_original(store, result["sha256"]) as handle:
            assert handle.read() == data
        blobs = [
            p
            for p in (store.data_dir / "vault").rglob("*")
            if p.is_file() and p.stat().st_size > 1000
        ]
        assert blobs
        for blob in blobs:
            assert data[:200] not in blob.read_bytes()
    finally:
        server.close()
        store.close()
