"""Where blob bytes live: a small interface and the local-folder implementation.

Objects are named by their SHA-256 (computed by the server, never taken from the client) and are
only ever replaced by bytes with that same hash. An upload in progress is a file named by the
server-generated upload id. Promotion follows the ALICE ordering: fsync the data, rename into
place, fsync the directory, and only then does the caller commit the database row that makes the
blob visible. An object already in place is re-hashed before it is trusted and replaced if wrong.

Every step that touches an upload's file runs under that upload's lock (`lock_upload`), held until
the step's database commit. The lock lives in its own file (`locks/<id>`), not on the data file,
because promotion renames the data file away while the lock must stay put.

The S3-compatible store (`sync.server.s3store`) implements the same interface; `open_store`
picks one from the settings.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from sync.server.config import Settings

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_READ_SIZE = 1024 * 1024


class UploadBusy(Exception):
    """Another request holds the upload's lock right now."""


class UploadLock(Protocol):
    """Exclusive right to touch one upload's bytes; released by `release` (or process death)."""

    def release(self) -> None: ...

    def forget(self) -> None:
        """Remove the lock file (the upload reached a final state); still call `release`."""
        ...


class ChunkWriter(Protocol):
    """Writer for one PATCH, used under the upload's lock: `start`, `write`..., `finish`|`abort`."""

    def start(self) -> None:
        """Cut the upload back to the acknowledged offset and position there."""
        ...

    def write(self, data: bytes) -> None: ...

    def finish(self) -> None:
        """Make the written bytes durable (fsync) and close the file."""
        ...

    def abort(self) -> None:
        """Drop what was written since `start` and close the file."""
        ...


class BlobStore(Protocol):
    def lock_upload(self, upload_id: str) -> UploadLock:
        """Take the upload's lock without waiting; raises UploadBusy if someone else holds it."""
        ...

    def open_chunk(self, upload_id: str, offset: int, sha256: str = "") -> ChunkWriter:
        """Open the upload for writing at `offset` (the caller holds its lock). `sha256` is the
        digest the upload claims (a store may start sending bytes to where they will go; nothing
        becomes visible before `promote`)."""
        ...

    def upload_size(self, upload_id: str) -> int: ...

    def hash_upload(self, upload_id: str, length: int) -> str | None:
        """SHA-256 hex of exactly `length` stored bytes, or None if the file is missing or its
        size differs."""
        ...

    def promote(self, upload_id: str, sha256: str) -> None:
        """Make the verified upload the object `sha256`; removes the upload file.

        An existing object is kept only if it hashes to `sha256`; otherwise it is replaced.
        """
        ...

    def discard_upload(self, upload_id: str) -> None: ...

    def stored_upload_ids(self) -> set[str]:
        """Ids of uploads that have a data or lock file (for the expiry sweep)."""
        ...

    def hash_object(self, sha256: str) -> str | None: ...

    def open_object(self, sha256: str) -> BinaryIO: ...

    def delete_object(self, sha256: str) -> None:
        """Remove the object (garbage collection); absent is fine."""
        ...

    def object_size(self, sha256: str) -> int | None: ...

    def object_names(self) -> Iterator[str]:
        """The digests of every stored object (for garbage collection of orphans)."""
        ...


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


class _GroupDirSync:
    """fsync a directory on behalf of every rename made in it before the fsync started.

    Concurrent uploads promoted into one shard share a barrier: a caller whose rename happened
    before a running fsync began still needs its own, but one fsync started after several
    renames covers all of them (group commit, as a database does for its log).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running: set[Path] = set()
        self._started: dict[Path, int] = {}  # fsyncs begun per directory
        self._finished: dict[Path, int] = {}  # the highest begun number that has finished
        self._waiters: dict[Path, int] = {}

    def waiting(self, path: Path, count: int, timeout: float) -> bool:
        """True once `count` callers wait for a barrier on `path` (tests watch the grouping)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiters.get(path, 0) >= count, timeout)

    def fsync(self, path: Path) -> None:
        with self._cond:
            # Any fsync that begins from now on covers our rename (already done).
            needed = self._started.get(path, 0) + 1
            while self._finished.get(path, 0) < needed:
                if path in self._running:
                    self._waiters[path] = self._waiters.get(path, 0) + 1
                    self._cond.notify_all()
                    self._cond.wait()
                    self._waiters[path] -= 1
                    continue
                self._running.add(path)
                number = self._started[path] = self._started.get(path, 0) + 1
                self._cond.release()
                try:
                    _fsync_dir(path)
                finally:
                    self._cond.acquire()
                    self._running.discard(path)
                    self._cond.notify_all()
                # Only a finished fsync counts (an error above propagates to its caller).
                self._finished[path] = max(self._finished.get(path, 0), number)


_SHARD_SYNC = _GroupDirSync()
# Shard folders whose name in objects/ this process has fsynced (at most 256 per store).
_DURABLE_SHARDS: set[Path] = set()


class _FileLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        # A file object, not a bare descriptor: if a cancelled request drops the lock without
        # releasing it, garbage collection closes the file and so releases the flock.
        self._file = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "rb", buffering=0)
        try:
            # flock works across worker processes on one host and dies with its process.
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._file.close()
            raise UploadBusy(path.name) from exc

    def release(self) -> None:
        self._file.close()  # closing releases the flock; closing twice is harmless

    def forget(self) -> None:
        # Safe while others wait on this inode: whoever gets it next reads the final state from
        # the database and leaves; a newcomer creating a fresh lock file does the same.
        self._path.unlink(missing_ok=True)


class _FileChunk:
    def __init__(self, path: Path, offset: int) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._handle = os.fdopen(fd, "r+b", buffering=1024 * 1024)
        self._offset = offset
        self._started = False

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
            self._handle.close()

    def abort(self) -> None:
        try:
            if self._started:
                self._handle.flush()
                self._handle.truncate(self._offset)
        finally:
            self._handle.close()


class LocalBlobStore:
    """Blobs in a local folder: `objects/ab/<sha256>`, `uploads/<upload uuid>`, `locks/<uuid>`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.uploads = root / "uploads"
        self.locks = root / "locks"
        for folder in (self.objects, self.uploads, self.locks):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _upload_path(self, upload_id: str) -> Path:
        return self.uploads / _check_upload_id(upload_id)

    def _object_path(self, sha256: str) -> Path:
        sha = _check_sha(sha256)
        return self.objects / sha[:2] / sha

    def lock_upload(self, upload_id: str) -> UploadLock:
        return _FileLock(self.locks / _check_upload_id(upload_id))

    def open_chunk(self, upload_id: str, offset: int, sha256: str = "") -> ChunkWriter:
        return _FileChunk(self._upload_path(upload_id), offset)

    def upload_size(self, upload_id: str) -> int:
        try:
            return self._upload_path(upload_id).stat().st_size
        except FileNotFoundError:
            return 0

    @staticmethod
    def _hash_file(path: Path, length: int | None) -> str | None:
        digest = hashlib.sha256()
        try:
            with path.open("rb") as handle:
                if length is not None and os.fstat(handle.fileno()).st_size != length:
                    return None
                while block := handle.read(_READ_SIZE):
                    digest.update(block)
        except FileNotFoundError:
            return None
        return digest.hexdigest()

    def hash_upload(self, upload_id: str, length: int) -> str | None:
        path = self._upload_path(upload_id)
        if length == 0 and not path.exists():
            return hashlib.sha256().hexdigest()  # an empty file needs no PATCH
        return self._hash_file(path, length)

    def promote(self, upload_id: str, sha256: str) -> None:
        """One durability barrier per photo here (the shard's directory), where there were three.

        Why each fsync that used to be here is, or is not, needed before the caller's commit
        (and so before the 201):

        - The upload file's data: every byte of it was fsynced by `_FileChunk.finish` before
          the offset that acknowledges it was committed, and promotion only runs once the
          committed offset is the whole length, under the upload's lock (nothing can write to
          the file in between). Re-fsyncing it found nothing to flush. Only the empty blob, which
          never had a chunk, is created here, and it is fsynced here.
        - The shard directory (`objects/ab/`): needed, it makes the new name durable. A shard
          created just now also needs its parent (`objects/`) fsynced, or the shard itself
          (and every object in it) could vanish in a crash; that was missing. It is done by
          the first promotion into each shard in this process, so that no promotion into a
          shard another thread has just created can answer before the shard's name is durable.
        - The uploads directory (the old name's removal): not needed. On ext4/XFS a rename is
          one journal transaction, so the shard's fsync commits the removal too. Elsewhere, the
          worst a crash can leave is the old name as well: a second copy of verified bytes
          under `uploads/<id>`, which is harmless — a retry finds the object in place (re-hashed
          below) and unlinks it, and `fairdesk-hq uploads expire` removes the files of uploads
          that are over. The object and the database row never depend on it.
        """
        source = self._upload_path(upload_id)
        target = self._object_path(sha256)
        if self._hash_file(target, None) == sha256:
            source.unlink(missing_ok=True)  # another tenant or an earlier attempt already has it
            return
        if target.parent not in _DURABLE_SHARDS:
            # The shard's own name in objects/ is fsynced by the first promotion into it in
            # this process, whoever created it: a concurrent promotion that found the shard
            # just made by another must not answer before that name is durable either.
            target.parent.mkdir(mode=0o700, exist_ok=True)
            _SHARD_SYNC.fsync(self.objects)
            _DURABLE_SHARDS.add(target.parent)
        if not source.exists() and sha256 == hashlib.sha256().hexdigest():
            source.touch(mode=0o600)  # the empty blob never got a PATCH
            with source.open("rb") as handle:
                os.fsync(handle.fileno())
        # Atomic, and replaces a damaged object (readers that have it open keep the old inode).
        os.replace(source, target)
        _SHARD_SYNC.fsync(target.parent)

    def discard_upload(self, upload_id: str) -> None:
        self._upload_path(upload_id).unlink(missing_ok=True)

    def stored_upload_ids(self) -> set[str]:
        names = {p.name for folder in (self.uploads, self.locks) for p in folder.iterdir()}
        ids = set()
        for name in names:
            try:
                ids.add(str(uuid.UUID(name)))
            except ValueError:
                continue  # not ours (an editor's backup file...): leave it alone
        return ids

    def hash_object(self, sha256: str) -> str | None:
        return self._hash_file(self._object_path(sha256), None)

    def open_object(self, sha256: str) -> BinaryIO:
        return self._object_path(sha256).open("rb")

    def delete_object(self, sha256: str) -> None:
        path = self._object_path(sha256)
        path.unlink(missing_ok=True)
        if path.parent.exists():
            _fsync_dir(path.parent)

    def object_size(self, sha256: str) -> int | None:
        try:
            return self._object_path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def object_names(self) -> Iterator[str]:
        for path in self.objects.glob("??/*"):
            if _HEX64.match(path.name):
                yield path.name


def open_store(settings: Settings) -> BlobStore:
    """The folder store, or the S3 store when `blobs_url` is `s3://bucket/prefix` (uploads in
    flight are then staged in the blob folder)."""
    if settings.blobs_url:
        from sync.server.s3store import S3BlobStore  # boto3 only loaded when used

        return S3BlobStore(settings.blobs_url, settings.resolved_blobs_dir())
    return LocalBlobStore(settings.resolved_blobs_dir())
