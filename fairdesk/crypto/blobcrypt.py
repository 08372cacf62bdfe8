"""AES-256-GCM chunked file format for vault originals, thumbnails, temp files and protected exports.

Layout (all integers big-endian)::

    header  = b"FDENC" | version u8 | mode u8 | 0 u8 | chunk_size u32 | file_id 16 bytes
              [mode 1 (password): salt 16 | time_cost u32 | memory_cost u32 | parallelism u32]
    chunk_i = nonce 12 | ciphertext | tag 16        (plaintext ≤ chunk_size; the last may be full)

Each file has its own key, HKDF(master key, salt=file_id), and each chunk a fresh random nonce.
The associated data of chunk *i* is ``header | i | final flag`` and, for the final chunk,
the *context* (for a vault blob: the SHA-256 of the plaintext, known only at the end of a
streamed write). So a reordered, dropped, truncated, appended-to or swapped file fails
authentication; the reader checks the final chunk when it opens a file, so a file renamed to
another item's name is refused before a single byte is returned. Large files are streamed with
at most two chunks in memory (one GCM call per chunk stays far below the 2^31 byte limit).
"""

from __future__ import annotations

import io
import os
import secrets
import struct
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fairdesk.crypto.keys import DEFAULT_KDF, KdfParams, derive_passphrase_kek
from fairdesk.errors import FairDeskError
from fairdesk.fsutil import write_atomic
from fairdesk.i18n import _

MAGIC = b"FDENC"
VERSION = 1
MODE_KEY = 0
MODE_PASSWORD = 1
CHUNK = 1 << 20
NONCE = 12
TAG = 16
OVERHEAD = NONCE + TAG
_BASE = struct.Struct(">5sBBBI16s")
_PASSWORD = struct.Struct(">16sIII")
HEADER_SIZE = _BASE.size  # 28 bytes (data-key mode)
EXPORT_CONTEXT = b"fairdesk export"


class DamagedError(FairDeskError):
    """The encrypted file fails authentication: damaged, tampered with, or not this item."""


class WrongPassword(FairDeskError):
    """The password does not open this protected file."""


def _damaged(what: str = "") -> DamagedError:
    return DamagedError(
        _(
            "Item damaged: the encrypted file {name} fails its integrity check (changed, "
            "truncated or swapped). It is not shown; restore it from HQ or a backup."
        ).format(name=what or "?")
    )


def _file_key(master: bytes, file_id: bytes) -> bytes:
    return HKDF(SHA256(), 32, file_id, b"fairdesk blob v1").derive(master)


def encrypted_size(plain_size: int, chunk_size: int = CHUNK, header_size: int = _BASE.size) -> int:
    chunks = max(1, -(-plain_size // chunk_size))
    return header_size + plain_size + chunks * OVERHEAD


def has_magic(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


class Encryptor:
    """Streams plaintext into ``out`` as encrypted chunks; :meth:`finish` seals the final one."""

    def __init__(
        self,
        master: bytes,
        out: BinaryIO,
        *,
        chunk_size: int = CHUNK,
        password: tuple[bytes, KdfParams] | None = None,
    ) -> None:
        self.out = out
        self.chunk_size = chunk_size
        file_id = secrets.token_bytes(16)
        mode = MODE_PASSWORD if password else MODE_KEY
        header = _BASE.pack(MAGIC, VERSION, mode, 0, chunk_size, file_id)
        if password:
            salt, params = password
            header += _PASSWORD.pack(salt, params.time_cost, params.memory_cost, params.parallelism)
        self.header = header
        self.aead = AESGCM(_file_key(master, file_id))
        self.index = 0
        self.pending = bytearray()
        self.written = 0
        self._put(header)

    def _put(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # unbuffered writes may be partial
            count = self.out.write(view)
            view = view[count or 0 :]
        self.written += len(data)

    def _seal(self, plain: bytes, final: bool, context: bytes) -> None:
        nonce = secrets.token_bytes(NONCE)
        ad = self.header + struct.pack(">QB", self.index, final) + (context if final else b"")
        self._put(nonce + self.aead.encrypt(nonce, plain, ad))
        self.index += 1

    def write(self, data: bytes) -> None:
        self.pending += data
        # Keep the last full chunk back: only finish() knows whether it is the final one.
        while len(self.pending) > self.chunk_size:
            self._seal(bytes(self.pending[: self.chunk_size]), False, b"")
            del self.pending[: self.chunk_size]

    def finish(self, context: bytes) -> int:
        """Seal the final chunk bound to ``context``; returns the bytes written in total."""
        self._seal(bytes(self.pending), True, context)
        self.pending.clear()
        return self.written


class DecryptingReader(io.RawIOBase):
    """A seekable, read-only plaintext view of an encrypted file; each chunk is authenticated."""

    def __init__(
        self,
        handle: BinaryIO,
        master: bytes | None,
        context: bytes,
        *,
        name: str = "",
        password: str | None = None,
    ) -> None:
        super().__init__()
        self.handle = handle
        self.name_for_errors = name
        self.context = context
        head = handle.read(_BASE.size)
        if len(head) != _BASE.size:
            raise _damaged(name)
        magic, version, mode, _zero, chunk_size, file_id = _BASE.unpack(head)
        if magic != MAGIC or version != VERSION or chunk_size <= 0 or chunk_size > 1 << 26:
            raise _damaged(name)
        if mode == MODE_PASSWORD:
            extra = handle.read(_PASSWORD.size)
            if len(extra) != _PASSWORD.size:
                raise _damaged(name)
            head += extra
            if password is None:
                raise WrongPassword(_("This file is protected with a password."))
            salt, t_cost, m_cost, par = _PASSWORD.unpack(extra)
            if not (0 < t_cost <= 64 and 8 <= m_cost <= 4 << 20 and 0 < par <= 64):
                raise _damaged(name)
            master = derive_passphrase_kek(password, salt, KdfParams(t_cost, m_cost, par))
        elif mode != MODE_KEY or master is None:
            raise _damaged(name)
        self.header = head
        self.chunk_size = chunk_size
        self.aead = AESGCM(_file_key(master, file_id))
        body = os.fstat(handle.fileno()).st_size - len(head)
        record = chunk_size + OVERHEAD
        self.chunks = max(1, -(-body // record))
        last = body - (self.chunks - 1) * record
        if body < OVERHEAD or last < OVERHEAD:
            raise _damaged(name)
        self.size = body - self.chunks * OVERHEAD
        self.pos: int = 0
        self.cached: tuple[int, bytes] | None = None
        try:
            self._chunk(self.chunks - 1)  # binds the file to its context before any byte is read
        except DamagedError:
            if mode == MODE_PASSWORD:
                raise WrongPassword(
                    _("Wrong password, or the file is damaged: it cannot be opened.")
                ) from None
            raise

    def _chunk(self, index: int) -> bytes:
        if self.cached is not None and self.cached[0] == index:
            return self.cached[1]
        record = self.chunk_size + OVERHEAD
        self.handle.seek(len(self.header) + index * record)
        raw = self.handle.read(record)
        final = index == self.chunks - 1
        ad = self.header + struct.pack(">QB", index, final) + (self.context if final else b"")
        try:
            plain = self.aead.decrypt(raw[:NONCE], raw[NONCE:], ad)
        except (InvalidTag, ValueError):
            raise _damaged(self.name_for_errors) from None
        if not final and len(plain) != self.chunk_size:
            raise _damaged(self.name_for_errors)
        self.cached = (index, plain)
        return plain

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.pos >= self.size:
            return 0
        index, offset = divmod(self.pos, self.chunk_size)
        plain = self._chunk(index)
        count: int = min(len(buffer), len(plain) - offset)
        buffer[:count] = plain[offset : offset + count]
        self.pos += count
        return count

    def close(self) -> None:
        if not self.closed:
            self.handle.close()
            self.cached = None
        super().close()


def open_decrypted(path: Path, master: bytes, context: bytes) -> BinaryIO:
    """A buffered, seekable plaintext stream of ``path`` (FileNotFoundError if missing)."""
    handle = open(path, "rb")  # noqa: SIM115 - owned and closed by the reader
    try:
        raw = DecryptingReader(handle, master, context, name=Path(path).name[:12])
    except BaseException:
        handle.close()
        raise
    return io.BufferedReader(raw, buffer_size=CHUNK)


def encrypt_stream(
    master: bytes, source: BinaryIO, out: BinaryIO, context: bytes, chunk_size: int = CHUNK
) -> int:
    enc = Encryptor(master, out, chunk_size=chunk_size)
    while data := source.read(chunk_size):
        enc.write(data)
    return enc.finish(context)


def write_encrypted_bytes(path: Path, data: bytes, master: bytes, context: bytes) -> None:
    """Encrypt a small payload (thumbnail, temp file) into ``path`` atomically."""

    def _write(out: BinaryIO) -> None:
        enc = Encryptor(master, out)
        enc.write(data)
        enc.finish(context)

    write_atomic(path, _write)


def read_encrypted_bytes(path: Path, master: bytes, context: bytes) -> bytes:
    with open_decrypted(path, master, context) as handle:
        return handle.read()


# -- password-protected exports ------------------------------------------------------------------


def encrypt_file_with_password(
    source: Path, target: Path, password: str, *, params: KdfParams = DEFAULT_KDF
) -> None:
    """Encrypt ``source`` into ``target`` (AES-256-GCM, key = Argon2id(password)).

    The recipient opens it with ``fairdesk protect open-export FILE`` (or
    :func:`decrypt_file_with_password`); the format is described in this module's docstring.
    """
    salt = secrets.token_bytes(16)
    master = derive_passphrase_kek(password, salt, params)

    def _write(out: BinaryIO) -> None:
        enc = Encryptor(master, out, password=(salt, params))
        with open(source, "rb") as src:
            while data := src.read(CHUNK):
                enc.write(data)
        enc.finish(EXPORT_CONTEXT)

    write_atomic(target, _write)


def decrypt_file_with_password(source: Path, target: Path, password: str) -> None:
    """Decrypt a password-protected export; WrongPassword if the password or file is wrong."""
    handle = open(source, "rb")  # noqa: SIM115 - owned by the reader
    try:
        reader = io.BufferedReader(
            DecryptingReader(
                handle, None, EXPORT_CONTEXT, name=Path(source).name, password=password
            )
        )
    except BaseException:
        handle.close()
        raise

    def _write(out: BinaryIO) -> None:
        with reader:
            while data := reader.read(CHUNK):
                out.write(data)

    write_atomic(target, _write)
