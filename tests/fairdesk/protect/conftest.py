"""Fixtures for the protection tests: an encrypted folder with light Argon2 (tests only)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from fairdesk.crypto import keys
from fairdesk.store import Store, open_store
from tests.conftest import TEST_PASSPHRASE

PASSPHRASE = TEST_PASSPHRASE


def tree_hashes(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (including -wal/-shm) with its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def setup(data_dir: Path) -> keys.Setup:
    return keys.create_keyfile(data_dir, PASSPHRASE, params=keys.TEST_KDF)


@pytest.fixture
def enc_store(data_dir: Path, setup: keys.Setup) -> Iterator[Store]:
    opened = open_store(data_dir, data_key=setup.data_key)
    yield opened
    opened.close()
