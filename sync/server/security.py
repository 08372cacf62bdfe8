"""Random secrets and how they are stored: only SHA-256 hashes ever reach the database."""

from __future__ import annotations

import base64
import hashlib
import secrets

ACCESS_PREFIX = "fda_"
REFRESH_PREFIX = "fdr_"


def hash_secret(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast unsalted hash is enough (nothing to brute-force).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def new_enroll_code() -> str:
    """100 random bits as 4 groups of 5 base32 letters: easy to read aloud or type."""
    raw = base64.b32encode(secrets.token_bytes(15)).decode("ascii")[:20]
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def normalise_enroll_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())
