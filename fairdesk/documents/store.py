"""Where generated files live: immutable, named by SHA-256 in the evidence vault.

Bytes go through the evidence vault's own write and read functions (temp file → fsync →
rename → fsync folder), so documents get the same crash safety as evidence originals and
are encrypted at rest like them when the data folder is encrypted: never read the file
at ``blob_path`` directly, use :func:`read_blob` / :func:`copy_blob`. The database
row is committed only after the bytes are durable; a crash in between leaves at worst an
unreferenced blob, never a row without its file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from fairdesk.evidence.vault import QUARANTINE, Vault, fsync_dir


def write_blob(data_dir: Path, data: bytes) -> str:
    """Store ``data`` in the vault (idempotent) and return its SHA-256."""
    return Vault(data_dir).write_bytes(data).sha256


def blob_path(data_dir: Path, sha256: str) -> Path:
    """The path of a stored document, restoring it from the vault's quarantine if needed.

    The vault's crash recovery moves files no evidence row references into quarantine (it
    never deletes). A document blob found there is checked against its hash and moved back.
    """
    vault = Vault(data_dir)
    path = vault.blob_path(sha256)
    if path.is_file():
        return path
    quarantine = vault.root / QUARANTINE
    if quarantine.is_dir():
        for candidate in sorted(quarantine.glob(f"*/{sha256[:2]}__{sha256}")):
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(candidate, path)
            # Checked through the vault (it decrypts when needed); a wrong file goes back.
            if vault.hash_blob(sha256) == sha256:
                fsync_dir(path.parent)
                return path
            os.replace(path, candidate)
    return path  # missing: the caller reports it


def read_blob(data_dir: Path, sha256: str) -> bytes:
    blob_path(data_dir, sha256)  # restores from quarantine if needed
    return Vault(data_dir).read_bytes(sha256)


def copy_blob(data_dir: Path, sha256: str, target: BinaryIO) -> None:
    blob_path(data_dir, sha256)
    Vault(data_dir).copy_to(sha256, target)


def encrypted(data_dir: Path) -> bool:
    """True when the vault encrypts at rest (then no plaintext cache may be written)."""
    return Vault(data_dir).key is not None


def data_key(data_dir: Path) -> bytes | None:
    """The data key of an unlocked encrypted folder (for encrypted caches); None if plain."""
    return Vault(data_dir).key


def verify(data_dir: Path, sha256: str) -> bool:
    blob_path(data_dir, sha256)
    return Vault(data_dir).hash_blob(sha256) == sha256
