"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), without a dependency.

Secrets are base32 (what authenticator apps expect in an ``otpauth://`` URI); codes are 6 digits
with a 30 s step, and one step either side is accepted for clock drift.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

STEP = 30
DIGITS = 6


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def _key(secret_b32: str) -> bytes:
    cleaned = secret_b32.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def totp(key: bytes, at: float, digits: int = DIGITS, digest: str = "sha1") -> str:
    return hotp(key, int(at // STEP), digits, digest)


def verify(secret_b32: str, code: str, at: float | None = None) -> bool:
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != DIGITS:
        return False
    now = time.time() if at is None else at
    key = _key(secret_b32)
    return any(hmac.compare_digest(totp(key, now + drift * STEP), code) for drift in (-1, 0, 1))


def provisioning_uri(secret_b32: str, account: str, issuer: str = "FairDesk HQ") -> str:
    return (
        f"otpauth://totp/{quote(issuer)}:{quote(account)}"
        f"?secret={secret_b32}&issuer={quote(issuer)}&digits={DIGITS}&period={STEP}"
    )
