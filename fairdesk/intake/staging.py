"""Bytes of a file still arriving, kept encrypted on disk under a key that lives only in memory.

A phone's upload may sit half-sent for minutes (the Wi-Fi dropped); meanwhile its bytes wait in
``<data>/intake/``. In an encrypted data folder nothing may lie there in plaintext, and a
session's key never needs to outlive the session, so every staged file is AES-256-CTR
encrypted with a per-upload counter block under a per-session random key. CTR keeps the length
(offsets and sizes stay those of the original) and can start at any offset, which resuming
needs. Integrity is not CTR's job here: the SHA-256 of the plaintext is computed as it arrives
and checked against the phone's, and the vault re-hashes what it stores.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

_BLOCK = 16


class StagingKey:
    def __init__(self) -> None:
        self._key = os.urandom(32)

    def new_counter(self) -> bytes:
        return os.urandom(_BLOCK)

    def cipher_at(self, counter: bytes, offset: int) -> CipherContext:
        """The keystream of one staged file, positioned at byte ``offset``."""
        start = (int.from_bytes(counter, "big") + offset // _BLOCK) % (1 << 128)
        context = Cipher(algorithms.AES(self._key), modes.CTR(start.to_bytes(_BLOCK, "big")))
        stream = context.encryptor()
        stream.update(bytes(offset % _BLOCK))  # skip into the block
        return stream

    def open(self, path: Path, counter: bytes) -> io.BufferedReader:
        """The plaintext of a staged file, for the importer to read like any file."""
        return io.BufferedReader(_Decrypting(path, self.cipher_at(counter, 0)), 1 << 20)


class _Decrypting(io.RawIOBase):
    def __init__(self, path: Path, stream: CipherContext) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._file.read(len(buffer))
        plain = self._stream.update(data)
        buffer[: len(plain)] = plain
        return len(plain)

    def close(self) -> None:
        self._file.close()
        super().close()
