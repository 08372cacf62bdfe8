"""The device's refresh token: in the OS keychain where one exists, else a file only the user reads.

Keyring backends fail in different ways on headless machines (docs/platform-notes.md): any ``KeyringError``
(or a backend that is simply absent) falls back to ``<data>/sync/refresh-token`` created 0600 in
a 0700 folder. A fallback file with looser permissions is refused, never silently used.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from fairdesk.errors import FairDeskError
from fairdesk.i18n import _

SERVICE = "fairdesk-sync"


def _keyring_name(local_device_id: str) -> str:
    return f"refresh-token:{local_device_id}"


def _file(data_dir: Path) -> Path:
    return data_dir / "sync" / "refresh-token"


def _keyring_set(name: str, secret: str) -> bool:
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(SERVICE, name, secret)
            return True
        except (KeyringError, RuntimeError):
            return False
    except ImportError:  # pragma: no cover - keyring is a dependency, but stay usable without
        return False


def _keyring_get(name: str) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(SERVICE, name)
        except (KeyringError, RuntimeError):
            return None
    except ImportError:  # pragma: no cover
        return None


def save_refresh_token(data_dir: Path, local_device_id: str, token: str) -> str:
    """Store the token; returns where ("keyring" or "file")."""
    if _keyring_set(_keyring_name(local_device_id), token):
        with contextlib.suppress(FileNotFoundError):
            _file(data_dir).unlink()  # a stale fallback must not shadow the keychain
        return "keyring"
    path = _file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    temp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    return "file"


def load_refresh_token(data_dir: Path, local_device_id: str) -> str | None:
    token = _keyring_get(_keyring_name(local_device_id))
    if token:
        return token
    path = _file(data_dir)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if os.name == "posix" and mode & 0o077:
        raise FairDeskError(
            _(
                "The sync key file {path} can be read by other users; FairDesk will not use it. "
                "Enrol this device again."
            ).format(path=path)
        )
    return path.read_text(encoding="ascii").strip() or None
