"""Where generated files live: immutable, named by SHA-256 in the evidence vault.

Bytes go through the evidence vault's own write and read functions (temp file → fsync →
rename → fsync folder), so documents get the same crash safety as evidence originals and
are encrypted at rest like them when the data folder is encrypted: never read the file
at ``blob_path`` directly, use :func:`read_blob` / :func:`copy_blob`. The database
row is committed only after the bytes are durable; a crash in between leaves at worst an
unreferenced blob, never a row without its file.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from fairdesk.store import Store


def write_blob(store: Store, data: bytes) -> str:
    """Store ``data`` in the folder's vault (idempotent) and return its SHA-256."""
    return store.vault.write_bytes(data).sha256


def blob_path(store: Store, sha256: str) -> Path:
    """The path of a stored document (ciphertext in an encrypted folder: read through
    :func:`read_blob`). The vault's recovery counts documents as referenced, so it never
    quarantines them (and moves back any an older version did)."""
    return store.vault.blob_path(sha256)


def read_blob(store: Store, sha256: str) -> bytes:
    return store.vault.read_bytes(sha256)


def copy_blob(store: Store, sha256: str, target: BinaryIO) -> None:
    store.vault.copy_to(sha256, target)
