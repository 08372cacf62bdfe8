"""Where generated files live: immutable, named by SHA-256 in the evidence vault.

Bytes go through the evidence vault's own write function (temp file → fsync → rename →
fsync folder), so documents get the same crash safety as evidence originals. The database
row is committed only after the bytes are durable; a crash in between leaves at worst an
unreferenced blob, never a row without its file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

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
            if _sha256_file(candidate) == sha256:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(candidate, path)
                fsync_dir(path.parent)
                return path
    return path  # missing: the caller reports it


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify(data_dir: Path, sha256: str) -> bool:
    path = blob_path(data_dir, sha256)
    return path.is_file() and _sha256_file(path) == sha256
