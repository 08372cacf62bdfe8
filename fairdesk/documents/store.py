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

from fairdesk.evidence.vault import Vault


def write_blob(data_dir: Path, data: bytes) -> str:
    """Store ``data`` in the vault (idempotent) and return its SHA-256."""
    return Vault(data_dir).write_bytes(data).sha256


def blob_path(data_dir: Path, sha256: str) -> Path:
    """The path of a stored document (ciphertext in an encrypted folder: read through
    :func:`read_blob`). The vault's recovery counts documents as referenced, so it never
    quarantines them (and moves back any an older version did)."""
    return Vault(data_dir).blob_path(sha256)


def read_blob(data_dir: Path, sha256: str) -> bytes:
    return Vault(data_dir).read_bytes(sha256)


def copy_blob(data_dir: Path, sha256: str, target: BinaryIO) -> None:
    Vault(data_dir).copy_to(sha256, target)


def encrypted(data_dir: Path) -> bool:
    """True when the vault encrypts at rest (then no plaintext cache may be written)."""
    return Vault(data_dir).key is not None


def data_key(data_dir: Path) -> bytes | None:
    """The data key of an unlocked encrypted folder (for encrypted caches); None if plain."""
    return Vault(data_dir).key


def verify(data_dir: Path, sha256: str) -> bool:
    return Vault(data_dir).hash_blob(sha256) == sha256
