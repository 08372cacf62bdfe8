"""The console's TOTP against the RFC 6238 test vectors (appendix B) and its drift window."""

from __future__ import annotations

import pytest

from sync.server.console import totp

SHA1_KEY = b"12345678901234567890"
SHA256_KEY = b"12345678901234567890123456789012"
SHA512_KEY = b"1234567890123456789012345678901234567890123456789012345678901234"


@pytest.mark.parametrize(
    ("at", "sha1", "sha256", "sha512"),
    [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ],
)
def test_rfc_6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    assert totp.totp(SHA1_KEY, at, 8, "sha1") == sha1
    assert totp.totp(SHA256_KEY, at, 8, "sha256") == sha256
    assert totp.totp(SHA512_KEY, at, 8, "sha512") == sha512


def test_verify_accepts_one_step_of_drift_and_nothing_else() -> None:
    secret = totp.new_secret()
    key = totp._key(secret)
    now = 1_800_000_000.0
    assert totp.verify(secret, totp.totp(key, now), at=now)
    assert totp.verify(secret, totp.totp(key, now - 30), at=now)
    assert totp.verify(secret, totp.totp(key, now + 30), at=now)
    assert not totp.verify(secret, totp.totp(key, now - 90), at=now)
    assert not totp.verify(secret, "", at=now)
    assert not totp.verify(secret, "12345a", at=now)
    assert totp.provisioning_uri(secret, "lawyer@Acme").startswith("otpauth://totp/")
