"""An encrypted data folder holds no plaintext; damage and missing keys are refused, never replaced."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from fairdesk import cases
from fairdesk.crypto import blobcrypt, keys
from fairdesk.errors import StoreError
from fairdesk.evidence import service, thumbs
from fairdesk.evidence.verify import verify
from fairdesk.model import Direction, Trigger
from fairdesk.store import Store, open_store
from tests.fairdesk.protect.conftest import tree_hashes

CANARY_TEXT = "CANARYzq7 Messe-Stand 金丝雀"
CANARY_BYTES = b"CANARYbytes-\x13\x37-photo"


JFIF_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


def canary_photo(path: Path) -> Path:
    image = Image.new("RGB", (320, 240), (200, 30, 30))
    image.save(path, "JPEG", quality=80, comment=CANARY_BYTES)
    with open(path, "ab") as handle:  # bytes after the end-of-image marker are kept as-is too
        handle.write(CANARY_BYTES * 4)
    return path


def fill_with_canaries(store: Store, tmp_path: Path) -> tuple[str, str]:
    case_id = cases.create_case(
        store,
        cases.CaseInput(
            title=f"Case {CANARY_TEXT}",
            direction=Direction.BY_US,
            trigger=Trigger.COPY_SPOTTED,
            summary=CANARY_TEXT,
            note=CANARY_TEXT,
        ),
    )
    cases.add_note(store, case_id, f"note {CANARY_TEXT}")
    report = service.import_files(store, case_id, [canary_photo(tmp_path / "booth.jpg")])
    assert report.imported == 1
    sha = report.outcomes[0].sha256
    assert service.thumbnail(store, sha, 128) is not None
    return case_id, sha


def _hits(folder: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {n!r}" for n in needles if n in data]
    return found


def test_no_plaintext_anywhere_on_disk(
    enc_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    source = tmp_path / "card"
    source.mkdir()
    case_id, sha = fill_with_canaries(enc_store, source)
    assert CANARY_TEXT in cases.get_case(enc_store, case_id).case.title  # readable when unlocked
    assert CANARY_BYTES in service.open_original(enc_store, sha).read()
    data_dir = enc_store.data_dir
    assert (data_dir / "fairdesk.sqlite3-wal").exists()  # checked while the WAL is live
    needles = [
        CANARY_TEXT.encode(),
        "金丝雀".encode(),
        "CANARYzq7".encode("utf-16-le"),
        CANARY_BYTES,
        b"SQLite format 3",
        # Any JPEG FairDesk writes (original or thumbnail: Pillow's JFIF header). Not just the
        # 3-byte start-of-image marker: that turns up in ~1 MB of ciphertext by chance
        # (2^-24 per position), and the test failed now and then.
        JFIF_HEADER,
    ]
    assert JFIF_HEADER in (source / "booth.jpg").read_bytes()
    assert _hits(data_dir, needles) == []
    assert _hits(temp, needles) == []
    enc_store.close()
    assert _hits(data_dir, needles) == []
    assert list((data_dir / "thumbs").rglob("*.jpg.enc"))


def test_plain_sqlite_cannot_read_it(enc_store: Store, data_dir: Path) -> None:
    enc_store.close()
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(data_dir / "fairdesk.sqlite3").execute("select * from case_file")


def test_missing_key_is_refused_and_nothing_changes(enc_store: Store, data_dir: Path) -> None:
    enc_store.close()
    before = tree_hashes(data_dir)
    with pytest.raises(StoreError, match="encrypted: unlock it"):
        open_store(data_dir)
    (data_dir / keys.KEYFILE_NAME).rename(data_dir.parent / "keyring.moved")
    before_without = tree_hashes(data_dir)
    with pytest.raises(StoreError, match="restore it from backups"):
        open_store(data_dir)  # the key file is gone: never a new plaintext DB
    assert tree_hashes(data_dir) == before_without
    assert set(before) - set(before_without) == {keys.KEYFILE_NAME}


def test_damaged_database_is_refused_and_nothing_changes(
    enc_store: Store, data_dir: Path, setup: keys.Setup
) -> None:
    enc_store.close()
    db = data_dir / "fairdesk.sqlite3"
    raw = bytearray(db.read_bytes())
    raw[5000] ^= 0xFF  # inside page 2
    db.write_bytes(bytes(raw))
    before = tree_hashes(data_dir)
    with pytest.raises(StoreError, match="restore it from backups"):
        open_store(data_dir, data_key=setup.data_key)
    with pytest.raises(StoreError, match="restore it from backups"):
        open_store(data_dir, data_key=os.urandom(32))  # a wrong key is refused the same way
    assert tree_hashes(data_dir) == before


def test_backups_are_encrypted_too(enc_store: Store, data_dir: Path) -> None:
    from fairdesk.crypto import sqlcipher
    from fairdesk.store import backup_database

    assert enc_store.data_key is not None
    target = backup_database(data_dir, "test", sqlcipher.connect_factory(enc_store.data_key))
    assert not target.read_bytes().startswith(b"SQLite format 3")
    with sqlcipher.connect(target, enc_store.data_key) as con:
        assert con.execute("select count(*) from device").fetchone() == (1,)


def test_tampered_or_swapped_vault_file_is_item_damaged(enc_store: Store, tmp_path: Path) -> None:
    case_id = cases.create_case(
        enc_store,
        cases.CaseInput(title="Booth", direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED),
    )
    one = canary_photo(tmp_path / "one.jpg")
    two = tmp_path / "two.jpg"
    Image.new("RGB", (64, 64), (0, 90, 0)).save(two, "JPEG")
    report = service.import_files(enc_store, case_id, [one, two])
    sha_one, sha_two = (o.sha256 for o in report.outcomes)
    vault = enc_store.vault
    assert verify(enc_store).ok
    # Swap: item two's file replaced by item one's (valid ciphertext, wrong item).
    path_two = vault.blob_path(sha_two)
    os.chmod(path_two, 0o644)
    path_two.write_bytes(vault.blob_path(sha_one).read_bytes())
    with pytest.raises(blobcrypt.DamagedError, match="Item damaged"):
        service.open_original(enc_store, sha_two)
    # Tamper: one flipped byte in item one.
    path_one = vault.blob_path(sha_one)
    os.chmod(path_one, 0o644)
    raw = bytearray(path_one.read_bytes())
    raw[-40] ^= 0x01
    path_one.write_bytes(bytes(raw))
    with pytest.raises(blobcrypt.DamagedError):
        service.open_original(enc_store, sha_one).read()
    report_after = verify(enc_store)
    assert not report_after.ok
    assert {p.sha256 for p in report_after.problems} >= {sha_one, sha_two}
    thumbs_dir = enc_store.data_dir / "thumbs"
    for path in thumbs_dir.rglob("*"):
        if path.is_file():
            path.unlink()
    with pytest.raises(blobcrypt.DamagedError):
        service.thumbnail(enc_store, sha_one)  # never rendered as if it were valid


def test_thumbnail_bytes_decrypt(enc_store: Store, tmp_path: Path) -> None:
    case_id, sha = fill_with_canaries(enc_store, tmp_path)
    jpeg = thumbs.load(enc_store.data_dir, enc_store.vault, sha, 128)
    assert jpeg.startswith(b"\xff\xd8")
    assert case_id
