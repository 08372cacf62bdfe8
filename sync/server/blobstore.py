"""Where blob bytes live: a small interface and the local-folder implementation.

Objects are named by their SHA-256 (computed by the server, never taken from the client), written
once and never modified. An upload in progress is a file named by the server-generated upload id.
Promotion follows the ALICE ordering: fsync the data, rename into place, fsync the directory, and
only then does the caller commit the database row that makes the blob visible.

An S3-compatible store would implement the same interface with a multipart upload per upload id
(parts ≥ 5 MiB buffered locally), `CopyObject` to the content-addressed key on promotion, and
`HeadObject` for `has_object`; see `sync/server/README.md`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import BinaryIO, Protocol

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_READ_SIZE = 1024 * 1024


class UploadBusy(Exception):
    """Another request is writing to the same upload right now."""


class ChunkWriter(Protocol):
    """Exclusive writer for one PATCH: `start`, `write`..., then `finish` or `abort`."""

    def start(self) -> None:
        """Cut the upload back to the acknowledged offset and position there."""
        ...

    def write(self, data: bytes) -> None: ...

    def finish(self) -> None:
        """Make the written bytes durable (fsync) and release the lock."""
        ...

    def abort(self) -> None:
        """Drop what was written since `start` and release the lock."""
        ...


class BlobStore(Protocol):
    def open_chunk(self, upload_id: str, offset: int) -> ChunkWriter:
        """Lock the upload for writing at `offset`; raises UploadBusy if someone else holds it."""
        ...

    def upload_size(self, upload_id: str) -> int: ...

    def hash_upload(self, upload_id: str, length: int) -> str | None:
        """SHA-256 hex of the first `length` stored bytes, or None if fewer are stored."""
        ...

    def promote(self, upload_id: str, sha256: str) -> None:
        """Make the verified upload the object `sha256` (idempotent); removes the upload."""
        ...

    def discard_upload(self, upload_id: str) -> None: ...

    def has_object(self, sha256: str) -> bool: ...

    def hash_object(self, sha256: str) -> str | None: ...

    def open_object(self, sha256: str) -> BinaryIO: ...


def _check_upload_id(upload_id: str) -> str:
    return uuid.UUID(upload_id).hex  # raises ValueError for anything that is not a UUID


def _check_sha(sha256: str) -> str:
    if not _HEX64.match(sha256):
        raise ValueError("not a sha256 hex digest")
    return sha256


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _FileChunk:
    def __init__(self, path: Path, offset: int) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._handle = os.fdopen(fd, "r+b", buffering=1024 * 1024)
        self._offset = offset
        self._started = False
        try:
            # flock works across worker processes on one host.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._handle.close()
            raise UploadBusy(str(path.name)) from exc

    def start(self) -> None:
        self._started = True
        self._handle.truncate(self._offset)
        self._handle.seek(self._offset)

    def write(self, data: bytes) -> None:
        self._handle.write(data)

    def finish(self) -> None:
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
        finally:
            self._handle.close()  # closing releases the flock

    def abort(self) -> None:
        try:
            if self._started:
                self._handle.flush()
                self._handle.truncate(self._offset)
        finally:
            self._handle.close()


class LocalBlobStore:
    """Blobs in a local folder: `objects/ab/<sha256>` and `uploads/<upload uuid>`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.uploads = root / "uploads"
        for folder in (self.objects, self.uploads):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _upload_path(self, upload_id: str) -> Path:
        return self.uploads / _check_upload_id(upload_id)

    def _object_path(self, sha256: str) -> Path:
        sha = _check_sha(sha256)
        return self.objects / sha[:2] / sha

    def open_chunk(self, upload_id: str, offset: int) -> ChunkWriter:
        return _FileChunk(self._upload_path(upload_id), offset)

    def upload_size(self, upload_id: str) -> int:
        try:
            return self._upload_path(upload_id).stat().st_size
        except FileNotFoundError:
            return 0

    @staticmethod
    def _hash_file(path: Path, length: int | None) -> str | None:
        digest = hashlib.sha256()
        remaining = length
        try:
            with path.open("rb") as handle:
                while remaining is None or remaining > 0:
                    want = _READ_SIZE if remaining is None else min(_READ_SIZE, remaining)
                    block = handle.read(want)
                    if not block:
                        break
                    digest.update(block)
                    if remaining is not None:
                        remaining -= len(block)
        except FileNotFoundError:
            return None
        if remaining:
            return None
        return digest.hexdigest()

    def hash_upload(self, upload_id: str, length: int) -> str | None:
        if length == 0:
            return hashlib.sha256().hexdigest()
        return self._hash_file(self._upload_path(upload_id), length)

    def promote(self, upload_id: str, sha256: str) -> None:
        source = self._upload_path(upload_id)
        target = self._object_path(sha256)
        if target.exists():
            source.unlink(missing_ok=True)  # another tenant or an earlier attempt already has it
            return
        target.parent.mkdir(exist_ok=True, mode=0o700)
        with source.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(source, target)
        _fsync_dir(target.parent)
        _fsync_dir(self.uploads)

    def discard_upload(self, upload_id: str) -> None:
        self._upload_path(upload_id).unlink(missing_ok=True)

    def has_object(self, sha256: str) -> bool:
        return self._object_path(sha256).is_file()

    def hash_object(self, sha256: str) -> str | None:
        return self._hash_file(self._object_path(sha256), None)

    def open_object(self, sha256: str) -> BinaryIO:
        return self._object_path(sha256).open("rb")
