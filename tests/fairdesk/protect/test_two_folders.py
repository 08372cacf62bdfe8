"""Two data folders open in one process share nothing: each store's vault has its own key.

A responder may have a plain demo folder and an encrypted work folder open in one process
(tests, scripts, the CLI in a notebook); photos imported into the plain one must be plain JPEG,
those imported into an encrypted one sealed with *that* folder's key, and a folder whose store
was closed must not stay unlocked for anyone who builds a vault for it later.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from fairdesk import cases
from fairdesk.crypto import blobcrypt, keys
from fairdesk.evidence import service
from fairdesk.model import Direction, Trigger
from fairdesk.store import Store, open_store
from fairdesk.vault import Vault
from tests.conftest import TEST_PASSPHRASE

JPEG_MAGIC = b"\xff\xd8\xff"


def _photo(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (64, 48), colour).save(path, "JPEG", quality=90)
    return path


def _import_one(store: Store, photo: Path) -> str:
    case_id = cases.create_case(
        store,
        cases.CaseInput(
            title="Booth photo", direction=Direction.BY_US, trigger=Trigger.COPY_SPOTTED
        ),
    )
    report = service.import_files(store, case_id, [photo])
    assert report.imported == 1
    sha = report.outcomes[0].sha256
    assert sha
    return sha


def _encrypted(folder: Path) -> Store:
    setup = keys.create_keyfile(folder, TEST_PASSPHRASE, params=keys.TEST_KDF)
    return open_store(folder, data_key=setup.data_key)


def test_a_plain_and_two_encrypted_folders_in_one_process_keep_their_own_keys(
    tmp_path: Path,
) -> None:
    photo = _photo(tmp_path / "booth.jpg", (200, 30, 30))
    original = photo.read_bytes()
    plain = open_store(tmp_path / "plain")
    sealed = _encrypted(tmp_path / "sealed")
    other = _encrypted(tmp_path / "other")
    try:
        assert plain.vault is plain.vault  # one vault per store
        assert plain.vault.key is None
        assert sealed.vault.key == sealed.data_key
        assert other.vault.key == other.data_key != sealed.data_key

        # Interleaved imports: the encrypted folders opened in between change nothing for
        # the plain one, and each encrypted folder seals with its own key.
        in_plain = _import_one(plain, photo)
        in_sealed = _import_one(sealed, photo)
        in_other = _import_one(other, photo)
        assert in_plain == in_sealed == in_other  # same bytes, same address

        plain_file = plain.vault.blob_path(in_plain).read_bytes()
        assert plain_file == original and plain_file.startswith(JPEG_MAGIC)
        for store in (sealed, other):
            on_disk = store.vault.blob_path(in_sealed)
            raw = on_disk.read_bytes()
            assert not raw.startswith(JPEG_MAGIC) and original not in raw
            assert store.data_key is not None
            with blobcrypt.open_decrypted(on_disk, store.data_key, in_sealed.encode()) as handle:
                assert handle.read() == original
        assert other.data_key is not None
        with (
            pytest.raises(blobcrypt.DamagedError),
            blobcrypt.open_decrypted(
                sealed.vault.blob_path(in_sealed), other.data_key, in_sealed.encode()
            ) as handle,
        ):
            handle.read()  # another folder's key does not open this folder's blobs
        assert service.thumbnail(plain, in_plain) is not None
        assert service.thumbnail(sealed, in_sealed) is not None
    finally:
        other.close()
        sealed.close()

    # The encrypted folder's store is closed: nothing in the process still holds its key, so
    # a vault built for it without one refuses instead of writing plaintext there.
    with pytest.raises(keys.ProtectError, match="locked"):
        Vault(tmp_path / "sealed", None)
    try:
        again = _import_one(plain, _photo(tmp_path / "second.jpg", (30, 200, 30)))
        assert plain.vault.blob_path(again).read_bytes().startswith(JPEG_MAGIC)
    finally:
        plain.close()
