"""The device's Ed25519 signing key for export bundles (kept in the data folder, mode 0600).

The key handling itself is the shared bundle format's (:mod:`bundle.signing`); HQ signs its
exports with a key of its own made the same way.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bundle import signing as _signing
from bundle.signing import fingerprint, public_pem

KEY_DIR = "keys"
KEY_NAME = "evidence-signing-ed25519.pem"

__all__ = ["fingerprint", "key_path", "load_or_create", "public_pem"]


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_DIR / KEY_NAME


def load_or_create(data_dir: Path) -> Ed25519PrivateKey:
    """This device's key; created on first use with owner-only permissions."""
    return _signing.load_or_create(key_path(data_dir))
