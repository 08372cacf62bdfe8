"""The key file: unlock by passphrase or recovery key, wrong attempts, change, keychain."""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path

import keyring
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keyring.backend import KeyringBackend

from fairdesk.crypto import keys
from fairdesk.errors import ValidationError
from fairdesk.store import open_store
from tests.fairdesk.protect.conftest import PASSPHRASE, tree_hashes


def test_unlock_with_passphrase_and_recovery_key(data_dir: Path, setup: keys.Setup) -> None:
    assert keys.unlock_with_passphrase(data_dir, PASSPHRASE) == setup.data_key
    groups = setup.recovery_key.split("-")
    assert len(groups) == 12 and all(len(g) == 4 for g in groups)
    sloppy = " ".join(groups).lower()  # typed back from paper: spaces, lower case
    assert keys.unlock_with_recovery_key(data_dir, sloppy) == setup.data_key
    stored = (data_dir / keys.KEYFILE_NAME).read_text()
    assert setup.data_key.hex() not in stored and setup.recovery_key not in stored


def test_wrong_passphrase_changes_nothing_and_delays_grow(
    data_dir: Path, setup: keys.Setup, state_dir: Path
) -> None:
    open_store(data_dir, data_key=setup.data_key).close()
    before = tree_hashes(data_dir)
    now = [1000.0]
    guard = keys.AttemptGuard(data_dir, state_dir=state_dir, clock=lambda: now[0])
    waits = []
    for _attempt in range(4):
        with pytest.raises(keys.WrongPassphrase, match="Wrong passphrase"):
            keys.unlock_with_passphrase(data_dir, PASSPHRASE + "x", guard=guard)
        waits.append(guard.wait_seconds())
        with pytest.raises(keys.UnlockDelayed, match="wait"):  # even the right one must wait
            keys.unlock_with_passphrase(data_dir, PASSPHRASE, guard=guard)
        now[0] += waits[-1]
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert tree_hashes(data_dir) == before
    # The counter survives a restart (a new guard reads it) and resets on success.
    assert keys.AttemptGuard(data_dir, state_dir=state_dir).failures() == 4
    assert keys.unlock_with_passphrase(data_dir, PASSPHRASE, guard=guard) == setup.data_key
    assert guard.failures() == 0
    assert tree_hashes(data_dir) == before


def test_wrong_recovery_key(data_dir: Path, setup: keys.Setup, state_dir: Path) -> None:
    other = keys.create_keyfile(data_dir / "other", PASSPHRASE, params=keys.TEST_KDF)
    now = [0.0]
    guard = keys.AttemptGuard(data_dir, state_dir=state_dir, clock=lambda: now[0])
    with pytest.raises(keys.WrongPassphrase, match="does not belong"):
        keys.unlock_with_recovery_key(data_dir, other.recovery_key, guard=guard)
    assert guard.failures() == 1
    now[0] += 60
    with pytest.raises(keys.WrongPassphrase, match="12 groups"):
        keys.unlock_with_recovery_key(data_dir, "not a key", guard=guard)


@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(passphrase=st.text(min_size=8, max_size=40))
def test_any_unicode_passphrase_opens_the_database(tmp_path: Path, passphrase: str) -> None:
    folder = tmp_path / uuid.uuid4().hex
    setup = keys.create_keyfile(folder, passphrase, params=keys.TEST_KDF)
    open_store(folder, data_key=setup.data_key).close()
    key = keys.unlock_with_passphrase(folder, passphrase)
    reopened = open_store(folder, data_key=key)
    assert reopened.device.id
    reopened.close()


@pytest.mark.parametrize("phrase", ['it\'s "quoted"; --', "  spaces  around  ", "x'00' ok?"])
def test_sql_looking_passphrases(tmp_path: Path, phrase: str) -> None:
    setup = keys.create_keyfile(tmp_path, phrase, params=keys.TEST_KDF)
    open_store(tmp_path, data_key=setup.data_key).close()
    assert keys.unlock_with_passphrase(tmp_path, phrase) == setup.data_key
    with pytest.raises(keys.WrongPassphrase):
        keys.unlock_with_passphrase(tmp_path, phrase.strip() + "!")


def test_nfd_and_nfc_spellings_are_the_same_passphrase(tmp_path: Path) -> None:
    setup = keys.create_keyfile(tmp_path, "Café crème 2024", params=keys.TEST_KDF)
    nfd = "Cafe\u0301 cre\u0300me 2024"
    assert keys.unlock_with_passphrase(tmp_path, nfd) == setup.data_key


def test_change_passphrase_rewraps_without_reencrypting(
    data_dir: Path, setup: keys.Setup, state_dir: Path
) -> None:
    open_store(data_dir, data_key=setup.data_key).close()
    db_before = (data_dir / "fairdesk.sqlite3").read_bytes()
    keys.change_passphrase(data_dir, setup.data_key, "a new passphrase", params=keys.TEST_KDF)
    later = itertools.count(0, 1000).__next__  # a clock where every delay has passed
    guard = keys.AttemptGuard(data_dir, state_dir=state_dir, clock=lambda: float(later()))
    with pytest.raises(keys.WrongPassphrase):
        keys.unlock_with_passphrase(data_dir, PASSPHRASE, guard=guard)
    assert keys.unlock_with_passphrase(data_dir, "a new passphrase", guard=guard) == setup.data_key
    assert keys.unlock_with_recovery_key(data_dir, setup.recovery_key) == setup.data_key
    assert (data_dir / "fairdesk.sqlite3").read_bytes() == db_before
    backups = list((data_dir / "backups").glob("keyring-*.json"))
    assert len(backups) == 1  # the old key file was kept before the atomic replace
    assert not list(data_dir.glob(".*.tmp"))
    with pytest.raises(ValidationError, match="at least 8"):
        keys.change_passphrase(data_dir, setup.data_key, "short")


def test_damaged_or_missing_key_file(data_dir: Path, setup: keys.Setup) -> None:
    path = data_dir / keys.KEYFILE_NAME
    payload = json.loads(path.read_text())
    payload["slots"] = "garbage"
    path.write_text(json.dumps(payload))
    with pytest.raises(keys.KeyFileMissing, match="damaged"):
        keys.unlock_with_passphrase(data_dir, PASSPHRASE)
    path.unlink()
    assert not keys.is_encrypted(data_dir)
    with pytest.raises(keys.KeyFileMissing, match="missing"):
        keys.load_keyfile(data_dir)


class _MemoryKeyring(KeyringBackend):
    """An in-process keychain: there is no OS keychain on this headless test machine."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


def test_keychain_is_optional_and_checked(data_dir: Path, setup: keys.Setup) -> None:
    # Headless default (the fail backend): silently unavailable.
    assert keys.keychain_store(data_dir, setup.data_key) is False
    assert keys.keychain_load(data_dir) is None
    previous = keyring.get_keyring()
    memory = _MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        assert keys.keychain_store(data_dir, setup.data_key) is True
        assert keys.keychain_load(data_dir) == setup.data_key
        keys.change_passphrase(data_dir, setup.data_key, "another passphrase", params=keys.TEST_KDF)
        assert keys.keychain_load(data_dir) is None  # forgotten on change: re-confirm
        # A stale or foreign key in the keychain is never trusted.
        keys.keychain_store(data_dir, bytes(32))
        memory.items = {k: "00" * 32 for k in memory.items}
        assert keys.keychain_load(data_dir) is None
    finally:
        keyring.set_keyring(previous)
    assert (data_dir / keys.KEYFILE_NAME).exists()  # the key file stays the real copy
