"""Which data folders are unlocked in this process, and with which data key.

``open_store`` registers the key of an encrypted folder here, so that the code that receives
only a data folder (the vault, thumbnails) encrypts and decrypts without every caller passing
the key along. A folder with a key file but no registered key is *locked*: the vault then
refuses to read or write rather than fall back to plaintext.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fairdesk.i18n import _
from fairdesk.protect.keys import ProtectError, is_encrypted

_lock = threading.Lock()
_keys: dict[Path, bytes] = {}


def _norm(data_dir: Path) -> Path:
    return Path(data_dir).expanduser().resolve()


def register(data_dir: Path, data_key: bytes) -> None:
    with _lock:
        _keys[_norm(data_dir)] = data_key


def forget(data_dir: Path) -> None:
    with _lock:
        _keys.pop(_norm(data_dir), None)


def data_key_for(data_dir: Path) -> bytes | None:
    """The folder's data key; None for a plain folder. Raises Locked for a locked one."""
    with _lock:
        key = _keys.get(_norm(data_dir))
    if key is None and is_encrypted(data_dir):
        raise ProtectError(_("The data is locked: unlock FairDesk with your passphrase first."))
    return key
