"""The chunked AES-GCM format: round trips, random access, and every kind of tampering."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest

from fairdesk.crypto import blobcrypt, keys

KEY = bytes(range(32))
CHUNK = 64  # small chunks so that multi-chunk cases stay tiny


def _encrypt(path: Path, data: bytes, context: bytes = b"ctx") -> None:
    with open(path, "wb") as out:
        blobcrypt.encrypt_stream(KEY, io.BytesIO(data), out, context, chunk_size=CHUNK)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_round_trip_and_random_access(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "blob"
    _encrypt(path, data)
    assert path.stat().st_size == blobcrypt.encrypted_size(size, CHUNK)
    if size >= 16:  # a shorter random prefix may occur in any ciphertext by chance
        assert data[:16] not in path.read_bytes()
    with blobcrypt.open_decrypted(path, KEY, b"ctx") as handle:
        assert handle.read() == data
        for offset in (0, size // 2, max(0, size - 3)):
            handle.seek(offset)
            assert handle.read(7) == data[offset : offset + 7]
        assert handle.seek(0, io.SEEK_END) == size


def _chunks_of(path: Path) -> tuple[bytes, list[bytes]]:
    raw = path.read_bytes()
    header, body = raw[: blobcrypt.HEADER_SIZE], raw[blobcrypt.HEADER_SIZE :]
    record = CHUNK + blobcrypt.OVERHEAD
    return header, [body[i : i + record] for i in range(0, len(body), record)]


def _tamper_cases(path: Path) -> dict[str, bytes]:
    raw = path.read_bytes()
    header, chunks = _chunks_of(path)
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x01
    header_flip = bytearray(raw)
    header_flip[20] ^= 0x01
    return {
        "bit flipped": bytes(flipped),
        "header changed": bytes(header_flip),
        "chunks swapped": header + chunks[1] + chunks[0] + b"".join(chunks[2:]),
        "last chunk dropped": header + b"".join(chunks[:-1]),
        "cut mid-chunk": raw[:-10],
        "bytes appended": raw + b"\x00" * 30,
        "empty": b"",
    }


def test_tampering_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    _encrypt(path, os.urandom(3 * CHUNK + 5))
    for what, raw in _tamper_cases(path).items():
        bad = tmp_path / "bad"
        bad.write_bytes(raw)
        with (
            pytest.raises(blobcrypt.DamagedError, match="Item damaged"),
            blobcrypt.open_decrypted(bad, KEY, b"ctx") as handle,
        ):
            handle.read()
        assert what


def test_a_file_swapped_for_another_is_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    _encrypt(path, b"photo of booth 3", context=b"sha-of-item-A")
    with pytest.raises(blobcrypt.DamagedError):
        blobcrypt.open_decrypted(path, KEY, b"sha-of-item-B")
    with pytest.raises(blobcrypt.DamagedError):
        blobcrypt.open_decrypted(path, bytes(32), b"sha-of-item-A")


def test_nonces_are_never_repeated(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    _encrypt(path, bytes(10 * CHUNK))  # identical plaintext chunks
    _header, chunks = _chunks_of(path)
    nonces = {c[: blobcrypt.NONCE] for c in chunks}
    bodies = {c[blobcrypt.NONCE :] for c in chunks}
    assert len(nonces) == len(chunks) == len(bodies)
    header = path.read_bytes()[: blobcrypt.HEADER_SIZE]
    assert struct.unpack(">5sBBBI16s", header)[4] == CHUNK


def test_password_protected_export(tmp_path: Path) -> None:
    source = tmp_path / "bundle.zip"
    source.write_bytes(b"PK\x03\x04 evidence bundle " * 1000)
    target = tmp_path / "bundle.zip.fdenc"
    blobcrypt.encrypt_file_with_password(source, target, "für Anwälte 律师", params=keys.TEST_KDF)
    assert b"evidence bundle" not in target.read_bytes()
    out = tmp_path / "opened.zip"
    with pytest.raises(blobcrypt.WrongPassword, match="Wrong password"):
        blobcrypt.decrypt_file_with_password(target, out, "wrong")
    assert not out.exists()
    blobcrypt.decrypt_file_with_password(target, out, "für Anwälte 律师")
    assert out.read_bytes() == source.read_bytes()
