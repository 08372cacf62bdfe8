"""A download from HQ kept between attempts (``Vault.partial``) and checked on its way in.

In an encrypted folder the half-downloaded bytes are sealed segments, never plaintext; a torn
last segment (a crash mid-write) is cut off so the resume starts after the last intact one;
``write_stream(expect=…)`` refuses bytes with another SHA-256 before they enter the vault.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from fairdesk.store import Store
from fairdesk.vault import DigestMismatch, Vault
from tests.conftest import _open_test_store


@pytest.mark.parametrize("encrypted", [False, True])
def test_partial_resumes_after_a_torn_tail_and_enters_the_vault_checked(
    encrypted: bool, tmp_path: Path
) -> None:
    folder = _open_test_store(tmp_path / "data", encrypted)
    try:
        _resume_and_store(folder.vault, encrypted)
    finally:
        folder.close()


def _resume_and_store(vault: Vault, encrypted: bool) -> None:
    data = os.urandom(700_000)
    sha = hashlib.sha256(data).hexdigest()
    partial = vault.partial(sha)
    assert partial.size() == 0
    partial.append(data[:300_000])
    partial.append(data[300_000:500_000])
    partial.sync()
    assert partial.size() == 500_000
    raw = partial.path.read_bytes()
    assert (data[1000:1064] in raw) is not encrypted  # sealed when the folder is encrypted

    if encrypted:  # a crash in the middle of the second segment's write
        with open(partial.path, "r+b") as handle:
            handle.truncate(len(raw) - 1000)
        again = vault.partial(sha)
        assert again.size() == 300_000  # the torn segment is dropped, the first one kept
        again.append(data[300_000:])
    else:
        again = vault.partial(sha)
        again.append(data[500_000:])
    assert again.size() == len(data)

    with again.reader() as source:
        written = vault.write_stream(source, expect=sha)
    assert written.sha256 == sha and vault.hash_blob(sha) == sha
    again.discard()
    assert not again.path.exists()


def test_bytes_with_another_hash_never_enter_the_vault(store: Store) -> None:
    vault = store.vault
    data = os.urandom(50_000)
    claimed = hashlib.sha256(b"what HQ recorded").hexdigest()
    partial = vault.partial(claimed)
    partial.append(data)
    with pytest.raises(DigestMismatch), partial.reader() as source:
        vault.write_stream(source, expect=claimed)
    assert list(vault.stored_hashes()) == []  # not even under the bytes' own hash
    assert not list(vault.root.glob(".incoming-*"))
