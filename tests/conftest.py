"""Shared test set-up: every user folder redirected to a temporary one, Qt offscreen.

Like qutebrowser's fixtures: tests never touch the developer's real data, settings or
keychain. Tests under tests/ui are marked ``gui`` automatically (``pytest -m "not gui"``
is the fast loop).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


TEST_PASSPHRASE = 'correct "horse" 电池 staple'  # quotes, spaces and CJK on purpose


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--encrypted",
        action="store_true",
        help="open the store/demo_store fixtures as encrypted data folders (SQLCipher + vault)",
    )


def _open_test_store(data_dir: Path, encrypted: bool) -> Any:
    from fairdesk.store import open_store

    if not encrypted:
        return open_store(data_dir)
    from fairdesk.crypto import keys

    # Light Argon2 parameters only because this is a test; production uses DEFAULT_KDF.
    setup = keys.create_keyfile(data_dir, TEST_PASSPHRASE, params=keys.TEST_KDF)
    return open_store(data_dir, data_key=setup.data_key)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ui_root = Path(__file__).parent / "ui"
    for item in items:
        if ui_root in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _isolated_user_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("HOME", ""),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(path))
    monkeypatch.setenv("FAIRDESK_DATA_DIR", str(home / "fairdesk-data"))
    monkeypatch.delenv("FAIRDESK_LANG", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def encrypted_store(data_dir: Path) -> Iterator[object]:
    """An encrypted data folder (key file with TEST_PASSPHRASE), opened with its data key."""
    opened = _open_test_store(data_dir, True)
    yield opened
    opened.close()


@pytest.fixture
def store(data_dir: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    opened = _open_test_store(data_dir, request.config.getoption("--encrypted"))
    yield opened
    opened.close()


@pytest.fixture
def demo_store(data_dir: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    from fairdesk.demo import fill_demo

    opened = _open_test_store(data_dir, request.config.getoption("--encrypted"))
    fill_demo(opened)
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    from fairdesk.i18n import set_language

    set_language("en")
    yield
    set_language("en")
