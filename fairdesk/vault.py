"""The vault: original evidence and document bytes, stored once by SHA-256 and never modified.

It sits below the store (which owns one per data folder, :attr:`fairdesk.store.Store.vault`)
and above the crypto primitives only. This is the ONLY module that reads or writes vault bytes (so encryption at rest can be added
here, in one place). The write order survives a crash at any instant (docs/reliability-and-security.md):
temp file in ``vault/`` → SHA-256 while copying (streamed, never the whole file in memory) →
fsync → rename to ``vault/ab/abcdef…`` → fsync the folder; only then does the caller commit
the row. A crash before the commit leaves at worst an unreferenced blob or temp file, which
:meth:`Vault.recover` moves into ``vault/quarantine/`` (never deletes).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import re
import secrets
import struct
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fairdesk.crypto import blobcrypt
from fairdesk.crypto.keys import ProtectError, is_encrypted
from fairdesk.errors import FairDeskError
from fairdesk.fsutil import fsync_dir
from fairdesk.i18n import _

try:  # POSIX advisory locks keep recovery away from a running import in another process
    import fcntl
except ImportError:  # pragma: no cover - Windows: recovery runs unlocked (see recover())
    fcntl = None  # type: ignore[assignment]

CHUNK = 1 << 20
TEMP_PREFIX = ".incoming-"
QUARANTINE = "quarantine"
LOCK_NAME = ".lock"
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


class Cancelled(FairDeskError):
    """The user cancelled; the file being copied was not saved."""


class VaultWriteError(FairDeskError):
    """The vault could not store the bytes (disk full, read-only...); nothing was saved."""

    def __init__(self, message: str, *, disk_full: bool = False) -> None:
        super().__init__(message)
        self.disk_full = disk_full


class SourceReadError(FairDeskError):
    """The file being imported could not be read (card removed, file vanished, I/O error)."""


class DigestMismatch(FairDeskError):
    """The bytes do not have the SHA-256 they were expected to have; nothing entered the vault."""


class CancelLike(Protocol):
    @property
    def cancelled(self) -> bool: ...


@dataclass(frozen=True)
class BlobWrite:
    sha256: str
    size: int
    existed: bool  # the same bytes were already in the vault


@dataclass(frozen=True)
class RecoveryResult:
    quarantined: tuple[str, ...]  # paths relative to vault/, as they were
    skipped_busy: bool  # another FairDesk process was importing: recovery postponed
    restored: tuple[str, ...] = ()  # referenced blobs moved back from quarantine (SHA-256)


def is_sha256(value: str) -> bool:
    return bool(_SHA_RE.match(value))


def _write_error(exc: OSError) -> VaultWriteError:
    if exc.errno in _FULL_ERRNOS:
        return VaultWriteError(
            _(
                "Not saved: the disk is full. Everything saved before is intact; free some space "
                "and import this file again."
            ),
            disk_full=True,
        )
    return VaultWriteError(
        _(
            "Not saved: the evidence folder could not be written ({error}). Everything saved "
            "before is intact."
        ).format(error=exc.strerror or exc)
    )


class Vault:
    """Content-addressed originals under ``<data>/vault``.

    The store builds one per data folder (:attr:`fairdesk.store.Store.vault`) with the folder's
    own data key; code that has a store uses that one rather than building another.
    """

    def __init__(self, data_dir: Path, key: bytes | None) -> None:
        self.root = Path(data_dir) / "vault"
        # Encryption at rest (fairdesk.protect): the data key of an unlocked encrypted folder,
        # None for a plain one. No key for a folder that has a key file means it is locked:
        # refuse here rather than write plaintext into an encrypted folder.
        if key is None and is_encrypted(Path(data_dir)):
            raise ProtectError(_("The data is locked: unlock FairDesk with your passphrase first."))
        self.key = key
        self.root.mkdir(parents=True, exist_ok=True)

    # -- paths ---------------------------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.blob_path(sha256).is_file()

    def stored_size(self, sha256: str) -> int | None:
        try:
            return self.blob_path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    # -- locks ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Held (shared) from the first byte written until the row is committed."""
        if fcntl is None:  # pragma: no cover
            yield
            return
        with open(self.root / LOCK_NAME, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    # -- writing -------------------------------------------------------------------------------

    def write_stream(
        self,
        source: BinaryIO,
        *,
        cancel: CancelLike | None = None,
        on_bytes: Callable[[int], None] | None = None,
        expect: str | None = None,
    ) -> BlobWrite:
        """Copy ``source`` into the vault, hashing as it goes; returns the hash and size.

        Raises SourceReadError, VaultWriteError or Cancelled; the temp file is then removed
        (it is ours and was never acknowledged) and nothing else changes. With ``expect`` (a
        download from HQ) bytes whose SHA-256 differs raise DigestMismatch before the rename:
        they never enter the vault, not even under their own hash.
        """
        digest = hashlib.sha256()
        size = 0
        encryptor: blobcrypt.Encryptor | None = None
        temp = self.root / f"{TEMP_PREFIX}{uuid.uuid4().hex}.part"
        try:
            fd = os.open(
                temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644
            )
        except OSError as exc:
            raise _write_error(exc) from exc
        try:
            with os.fdopen(fd, "wb", buffering=0) as out:
                if self.key is not None:
                    encryptor = blobcrypt.Encryptor(self.key, out)
                while True:
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled(_("Import cancelled; this file was not saved."))
                    try:
                        chunk = source.read(CHUNK)
                    except OSError as exc:
                        raise SourceReadError(
                            _(
                                "The file could not be read ({error}); was the card or phone "
                                "disconnected?"
                            ).format(error=exc.strerror or exc)
                        ) from exc
                    if not chunk:
                        break
                    digest.update(chunk)
                    view = memoryview(chunk)
                    try:
                        if encryptor is not None:
                            encryptor.write(chunk)
                            view = view[len(view) :]
                        while view:  # unbuffered writes may be partial
                            written = out.write(view)
                            view = view[written or 0 :]
                    except OSError as exc:
                        raise _write_error(exc) from exc
                    size += len(chunk)
                    if on_bytes is not None:
                        on_bytes(len(chunk))
                try:
                    if encryptor is not None:  # the final chunk is bound to the content hash
                        encryptor.finish(digest.hexdigest().encode("ascii"))
                    os.fsync(out.fileno())
                except OSError as exc:
                    raise _write_error(exc) from exc
            sha = digest.hexdigest()
            if expect is not None and sha != expect:
                raise DigestMismatch(
                    _("The file does not match its recorded SHA-256; it was not kept.")
                )
            target = self.blob_path(sha)
            if target.is_file() and target.stat().st_size == self._disk_size(size):
                temp.unlink()
                return BlobWrite(sha, size, existed=True)
            # A same-named blob of another size is damaged: the fresh copy replaces it.
            folder = target.parent
            if not folder.is_dir():
                folder.mkdir(exist_ok=True)
                fsync_dir(self.root)
            with contextlib.suppress(OSError):
                os.chmod(temp, 0o444)  # originals are never modified
            try:
                os.replace(temp, target)
            except OSError as exc:
                raise _write_error(exc) from exc
            fsync_dir(folder)
            return BlobWrite(sha, size, existed=False)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise

    def write_bytes(self, data: bytes) -> BlobWrite:
        """Store generated bytes (an annotated copy): same write order as an import."""
        return self.write_stream(BytesIO(data))

    def partial(self, sha256: str) -> PartialDownload:
        """The bytes of ``sha256`` downloaded so far (kept between attempts; see the class)."""
        return PartialDownload(
            self.root.parent / PARTIAL_DIR, self.blob_path(sha256).name, self.key
        )

    # -- reading -------------------------------------------------------------------------------

    def _disk_size(self, plain_size: int) -> int:
        return plain_size if self.key is None else blobcrypt.encrypted_size(plain_size)

    def open_original_for_read(self, sha256: str) -> BinaryIO:
        """A read-only binary stream of the original (raises FileNotFoundError if missing).

        In an encrypted folder the stream decrypts and authenticates as it reads; a tampered,
        truncated or swapped file raises ``blobcrypt.DamagedError`` ("item damaged").
        """
        if self.key is not None:
            return blobcrypt.open_decrypted(self.blob_path(sha256), self.key, sha256.encode())
        return open(self.blob_path(sha256), "rb")

    def read_bytes(self, sha256: str) -> bytes:
        with self.open_original_for_read(sha256) as handle:
            return handle.read()

    def hash_blob(self, sha256: str) -> str | None:
        """Re-hash the stored bytes; None when the file is missing."""
        digest = hashlib.sha256()
        try:
            with self.open_original_for_read(sha256) as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            return None
        except blobcrypt.DamagedError:
            return "damaged"  # never equal to a SHA-256: verify reports the item as damaged
        return digest.hexdigest()

    def copy_to(self, sha256: str, target: BinaryIO) -> None:
        with self.open_original_for_read(sha256) as handle:
            while chunk := handle.read(CHUNK):
                target.write(chunk)

    # -- maintenance ---------------------------------------------------------------------------

    def stored_hashes(self) -> Iterator[str]:
        for folder in self.root.iterdir():
            if folder.is_dir() and len(folder.name) == 2:
                for blob in folder.iterdir():
                    if is_sha256(blob.name) and blob.name[:2] == folder.name and blob.is_file():
                        yield blob.name

    def _strays(self, referenced: set[str]) -> Iterator[Path]:
        """Every file in the vault that no row references (temp files, unknown files)."""
        for entry in self.root.iterdir():
            if entry.name in (QUARANTINE, LOCK_NAME):
                continue
            if entry.is_dir():
                for sub in entry.rglob("*"):
                    if sub.is_file() and not (
                        is_sha256(sub.name)
                        and sub.parent == entry
                        and sub.name[:2] == entry.name
                        and sub.name in referenced
                    ):
                        yield sub
            else:
                yield entry

    def _restore_quarantined(self, referenced: set[str]) -> list[str]:
        """Move referenced blobs that are missing here back from quarantine (hash checked).

        Older versions quarantined generated documents (only evidence rows counted as
        references); a copy that does not hash to its name goes back into quarantine.
        """
        restored: list[str] = []
        for candidate in self.quarantined():
            prefix, _sep, sha = candidate.name.partition("__")
            if sha not in referenced or prefix != sha[:2] or self.exists(sha):
                continue
            target = self.blob_path(sha)
            target.parent.mkdir(exist_ok=True)
            os.replace(candidate, target)
            if self.hash_blob(sha) == sha:
                fsync_dir(target.parent)
                restored.append(sha)
            else:
                os.replace(target, candidate)
        return restored

    def recover(self, referenced: Iterable[str]) -> RecoveryResult:
        """Move every unreferenced file into ``vault/quarantine/<time>/`` (never delete).

        ``referenced`` is every SHA-256 a row points at (evidence items AND generated
        documents); a referenced blob found in quarantine is moved back. Skipped (and
        reported) while another process holds the writer lock, so a blob renamed but not yet
        committed by a running import is never taken away.
        """
        refs = set(referenced)
        if fcntl is not None:
            handle = open(self.root / LOCK_NAME, "a+b")  # noqa: SIM115 - closed below
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return RecoveryResult((), skipped_busy=True)
        else:  # pragma: no cover
            handle = None
        try:
            restored = self._restore_quarantined(refs)
            strays = sorted(self._strays(refs))
            moved: list[str] = []
            if strays:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
                target_dir = self.root / QUARANTINE / stamp
                target_dir.mkdir(parents=True, exist_ok=True)
                for stray in strays:
                    rel = stray.relative_to(self.root).as_posix()
                    os.replace(stray, target_dir / rel.replace("/", "__"))
                    moved.append(rel)
                fsync_dir(target_dir)
                fsync_dir(self.root)
            return RecoveryResult(tuple(moved), skipped_busy=False, restored=tuple(restored))
        finally:
            if handle is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                handle.close()

    def quarantined(self) -> list[Path]:
        folder = self.root / QUARANTINE
        return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []

    def purge(self, sha256: str) -> bool:
        """Remove the bytes of a purged item (the caller checked no row still needs them)."""
        path = self.blob_path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True


# Downloads in progress live beside the vault, not in it: recovery quarantines every file in
# vault/ that no row references, and a half-downloaded original is neither.
PARTIAL_DIR = "downloads"
_PARTIAL_MAGIC = b"FDPART1\n"
_SEGMENT = struct.Struct(">I")  # plaintext length of one sealed segment


class PartialDownload:
    """An original being downloaded from HQ: appended to as bytes arrive, so a cut link resumes
    from the bytes already on disk (HTTP Range) instead of from zero.

    Plain folder: the raw bytes, like the vault itself. Encrypted folder: nothing is on disk in
    plaintext: a header with a random file id, then sealed segments (length | nonce | AES-GCM
    ciphertext and tag), each under a key derived from the data key and the file id and bound
    to the original's SHA-256 and its offset. A torn or damaged tail (a crash mid-write) is cut
    off when the size is read, so the resume starts after the last intact segment. The bytes
    reach the vault only through :meth:`Vault.write_stream` with ``expect``: hashed there.
    """

    def __init__(self, folder: Path, sha256: str, key: bytes | None) -> None:
        self.path = folder / f"{sha256}.part"
        self.sha256 = sha256
        self.key = key
        self._file_id: bytes | None = None  # encrypted folder: of the file being appended to
        self._offset = 0

    def _aead(self, file_id: bytes) -> AESGCM:
        assert self.key is not None
        derived = HKDF(SHA256(), 32, file_id, b"fairdesk partial download v1").derive(self.key)
        return AESGCM(derived)

    def _ad(self, file_id: bytes, offset: int) -> bytes:
        return file_id + self.sha256.encode("ascii") + offset.to_bytes(8, "big")

    def _segments(self, handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
        """(end position in the file, plaintext) of each intact segment, in order."""
        head = handle.read(len(_PARTIAL_MAGIC) + 16)
        if len(head) < len(_PARTIAL_MAGIC) + 16 or not head.startswith(_PARTIAL_MAGIC):
            return
        file_id = head[len(_PARTIAL_MAGIC) :]
        aead = self._aead(file_id)
        offset = 0
        while True:
            length_bytes = handle.read(_SEGMENT.size)
            if len(length_bytes) < _SEGMENT.size:
                return
            (length,) = _SEGMENT.unpack(length_bytes)
            sealed = handle.read(12 + length + 16)
            if len(sealed) < 12 + length + 16:
                return
            try:
                plain = aead.decrypt(sealed[:12], sealed[12:], self._ad(file_id, offset))
            except InvalidTag:
                return
            offset += len(plain)
            yield handle.tell(), plain

    def size(self) -> int:
        """Plaintext bytes held; a torn or damaged tail is removed first."""
        try:
            if self.key is None:
                return self.path.stat().st_size
            with open(self.path, "r+b") as handle:
                end, size = 0, 0
                for end, plain in self._segments(handle):  # noqa: B007 - the last one counts
                    size += len(plain)
                if end == 0:  # no intact header (another format, or torn): start over
                    handle.truncate(0)
                elif handle.seek(0, os.SEEK_END) != end:
                    handle.truncate(end)
                return size
        except FileNotFoundError:
            return 0

    def append(self, data: bytes) -> None:
        """Add the next bytes (durable once :meth:`sync` returns)."""
        self.path.parent.mkdir(exist_ok=True)
        try:
            with open(self.path, "ab") as handle:
                if self.key is None:
                    handle.write(data)
                    return
                if handle.tell() == 0:
                    self._file_id = secrets.token_bytes(16)
                    handle.write(_PARTIAL_MAGIC + self._file_id)
                    self._offset = 0
                elif self._file_id is None:
                    self._resume_state()
                file_id = self._file_id
                assert file_id is not None
                nonce = secrets.token_bytes(12)
                sealed = self._aead(file_id).encrypt(nonce, data, self._ad(file_id, self._offset))
                handle.write(_SEGMENT.pack(len(data)) + nonce + sealed)
                self._offset += len(data)
        except OSError as exc:
            raise _write_error(exc) from exc

    def _resume_state(self) -> None:
        with open(self.path, "rb") as handle:
            self._file_id = handle.read(len(_PARTIAL_MAGIC) + 16)[len(_PARTIAL_MAGIC) :]
            handle.seek(0)
            self._offset = sum(len(plain) for _end, plain in self._segments(handle))

    def sync(self) -> None:
        """fsync what was appended, so the next attempt resumes from it after a crash."""
        with contextlib.suppress(FileNotFoundError), open(self.path, "rb") as handle:
            os.fsync(handle.fileno())

    def reader(self) -> BinaryIO:
        """The plaintext held so far, as a stream (for :meth:`Vault.write_stream`)."""
        if self.key is None:
            return open(self.path, "rb")
        handle = open(self.path, "rb")  # noqa: SIM115 - closed by the reader

        class _Plain(io.RawIOBase):
            def __init__(self, chunks: Iterator[tuple[int, bytes]]) -> None:
                self.chunks = chunks
                self.rest = b""

            def readable(self) -> bool:
                return True

            def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
                while not self.rest:
                    nxt = next(self.chunks, None)
                    if nxt is None:
                        return 0
                    self.rest = nxt[1]
                count = min(len(buffer), len(self.rest))
                buffer[:count] = self.rest[:count]
                self.rest = self.rest[count:]
                return count

            def close(self) -> None:
                handle.close()
                super().close()

        return io.BufferedReader(_Plain(self._segments(handle)), CHUNK)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self._file_id, self._offset = None, 0
