"""Blobs in an S3-compatible bucket (MinIO, Ceph RGW, AWS S3), behind `blobstore.BlobStore`.

Objects live at `<prefix>/objects/ab/<sha256>`; keys are made here from the server-computed
digest, never from client input. An upload in progress is staged in the local blob folder by a
`LocalBlobStore` (same locks, same truncate-to-the-acknowledged-offset chunks, offsets in the
database), so every guarantee of the upload state machine carries over unchanged: the bytes
promoted are the upload's own bytes, hashed under its lock.

The bytes are not sent twice: while a PATCH arrives, every full part (`PART_BYTES`, part n =
bytes [(n-1)·P, n·P)) is also handed to a sender thread that puts it into an S3 multipart upload
at the object's final key, so the transfer to S3 overlaps the transfer from the device (a PATCH
waits for its parts except the last, which overlaps the next PATCH). The multipart upload's id is
kept beside the staged file (`s3parts/<upload id>.json`, written under the upload's lock), so
expiry and a digest mismatch can abort it. Which parts S3 holds is never taken on trust:
promotion, after the digest was verified on the staged bytes, lists the parts S3 holds and uses
one only if its ETag is the MD5 of the staged bytes of that part; it sends the others and the
short last part, then completes. S3 makes the object visible only then, and checks every listed
ETag against the part it holds, so a stale part landing late fails the completion (then the staged
file is sent whole) instead of making a wrong object. A mismatch or an expired upload aborts the
multipart upload: nothing is visible before the digest was verified. An object already in the
bucket is re-hashed by streaming it before it is trusted, and replaced if it does not hash right.
Production buckets should have a lifecycle rule that aborts incomplete multipart uploads after a
few days (a server killed mid-PATCH leaves one behind).

The local folder only ever holds uploads in flight (bounded by quota reservations and removed by
`uploads expire`); stored blobs grow in the bucket. Endpoint and credentials come from the usual
environment variables: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from sync.server.blobstore import (
    ChunkWriter,
    LocalBlobStore,
    UploadLock,
    _check_sha,
    _check_upload_id,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

log = logging.getLogger(__name__)

PART_BYTES = 8 * 1024 * 1024  # S3 wants ≥ 5 MiB for every part but the last
_READ_SIZE = 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → ("bucket", "some/prefix"); a clear error for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"blob store URL must look like s3://bucket/prefix, not {url!r}")
    return parts.netloc, parts.path.strip("/")


class _ObjectReader:
    """A streamed GET body with the file-like surface `open_object` callers use."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def read(self, size: int = -1) -> bytes:
        data = self._body.read(None if size < 0 else size)
        return cast(bytes, data)

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> _ObjectReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _PartState:
    """The S3 multipart upload an upload's parts go to (its key and id)."""

    def __init__(self, key: str, mpu: str) -> None:
        self.key = key
        self.mpu = mpu

    def to_json(self) -> str:
        return json.dumps({"key": self.key, "mpu": self.mpu, "part_bytes": PART_BYTES})


class _Sender:
    """Sends one upload's parts in order, one at a time, in this process; outlives a PATCH so
    that a part's transfer to S3 overlaps the next PATCH's transfer from the device.

    Each part runs in its own short-lived thread that first waits for the previous one, so an
    idle upload holds no thread. Which parts S3 holds, and with which bytes, is asked of S3 at
    promotion (ListParts), never taken from here.
    """

    def __init__(self, store: S3BlobStore, upload_id: str, key: str, mpu: str | None) -> None:
        self.store = store
        self.upload_id = upload_id
        self.key = key
        self.mpu = mpu
        self._last: Future[None] | None = None
        self._guard = threading.Lock()
        self._mpu_guard = threading.Lock()

    def submit(self, number: int, prefix: tuple[int, int] | None, body: bytes) -> Future[None]:
        future: Future[None] = Future()
        with self._guard:
            previous, self._last = self._last, future

        def run() -> None:
            if previous is not None:
                with contextlib.suppress(Exception):
                    previous.result()
            if not future.set_running_or_notify_cancel():
                return
            try:
                self._send(number, prefix, body)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(None)

        threading.Thread(target=run, name=f"s3-part-{number}", daemon=True).start()
        return future

    def _send(self, number: int, prefix: tuple[int, int] | None, body: bytes) -> None:
        if prefix is not None:  # bytes an earlier PATCH stored (below its acknowledged offset)
            with self.store.staging._upload_path(self.upload_id).open("rb") as handle:
                handle.seek(prefix[0])
                body = handle.read(prefix[1] - prefix[0]) + body
        if len(body) != PART_BYTES:
            raise ValueError(f"part {number} has {len(body)} bytes")  # a bug: never sent
        self.store.client.upload_part(
            Bucket=self.store.bucket,
            Key=self.key,
            UploadId=self.multipart(),
            PartNumber=number,
            Body=body,
        )

    def multipart(self) -> str:
        """The multipart upload's id, made on first use (by a part, or by `finish` recording it
        without waiting for that part)."""
        with self._mpu_guard:
            if self.mpu is None:
                made = self.store.client.create_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key
                )
                self.mpu = made["UploadId"]
            return self.mpu

    def adopt(self, mpu: str) -> None:
        """Use the multipart upload another process made and recorded (if none is made here)."""
        with self._mpu_guard:
            if self.mpu is None:
                self.mpu = mpu

    def drain(self) -> None:
        """Wait until every part handed over so far was sent (or failed)."""
        with self._guard:
            last = self._last
        if last is not None:
            with contextlib.suppress(Exception):
                last.result()


class _S3Chunk:
    """One PATCH: written to the staged file (the truth, as in the folder store) and, part by
    part as they fill, handed to the upload's `_Sender`.

    `start`, `write` and `abort` run on the server's event loop and never wait for S3. `finish`
    (worker thread, lock held) waits for this PATCH's parts except the last one, which keeps
    going while the device sends the next PATCH (memory: at most a part in flight and the
    PATCH being received), and records the multipart upload's id beside the staged file.
    """

    def __init__(self, store: S3BlobStore, upload_id: str, offset: int, sha256: str) -> None:
        self._store = store
        self._id = upload_id
        self._file = store.staging.open_chunk(upload_id, offset)
        self._offset = offset
        key = store._key(sha256)
        state = store._load_parts(upload_id)
        if state is not None and state.key != key:
            state = None  # not this digest's (cannot happen for one upload id): start afresh
        self._key = key
        self._saved = state.mpu if state else None
        self._sender: _Sender | None = None  # made when the first full part is handed over
        self._part_start = (offset // PART_BYTES) * PART_BYTES  # first byte of the next part
        self._written = offset
        self._pending = bytearray()  # bytes written by this PATCH not yet handed to a part
        self._futures: list[Future[None]] = []

    def start(self) -> None:
        self._file.start()

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._pending += data
        self._written += len(data)
        while self._written - self._part_start >= PART_BYTES:
            number = self._part_start // PART_BYTES + 1
            in_memory = max(self._offset, self._part_start)
            need = self._part_start + PART_BYTES - in_memory
            body = bytes(self._pending[:need])
            del self._pending[:need]
            # The first part of a PATCH may begin with bytes an earlier PATCH stored.
            prefix = (self._part_start, self._offset) if self._part_start < self._offset else None
            if self._sender is None:
                self._sender = self._store._sender(self._id, self._key, self._saved)
            self._futures.append(self._sender.submit(number, prefix, body))
            self._part_start += PART_BYTES

    def finish(self) -> None:
        try:
            self._file.finish()
        except BaseException:
            self._cancel()
            raise
        for future in self._futures[:-1]:
            with contextlib.suppress(Exception):  # a part that failed is sent at promotion
                future.result()
        if self._sender is None:
            return
        try:
            mpu = self._sender.multipart()
        except ClientError as exc:  # S3 unreachable: promotion sends the staged file whole
            log.warning("upload %s: no multipart upload (%s)", self._id, exc)
            return
        if mpu != self._saved:  # recorded so that expiry and a mismatch can abort it
            self._store._save_parts(self._id, _PartState(self._sender.key, mpu))

    def abort(self) -> None:
        try:
            self._file.abort()
        finally:
            self._cancel()

    def _cancel(self) -> None:
        for future in self._futures:  # parts not started yet; one in flight may still land
            future.cancel()


class S3BlobStore:
    """Objects in `s3://bucket/prefix`, uploads staged in `staging` (a local folder)."""

    def __init__(self, url: str, staging: Path, client: S3Client | None = None) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.staging = LocalBlobStore(staging)
        self.client: S3Client = client or make_client()
        self._transfer = TransferConfig(
            multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, use_threads=True
        )
        self._senders: dict[str, _Sender] = {}
        self._senders_guard = threading.Lock()

    @property
    def uploads(self) -> Path:
        """Local folder of uploads in flight (same layout as the folder store's)."""
        return self.staging.uploads

    def _key(self, sha256: str) -> str:
        sha = _check_sha(sha256)
        return "/".join(p for p in (self.prefix, "objects", sha[:2], sha) if p)

    # --- parts already in S3 (see the module docstring) --------------------------------------
    @property
    def _parts_dir(self) -> Path:
        return self.staging.root / "s3parts"

    def _parts_path(self, upload_id: str) -> Path:
        return self._parts_dir / f"{_check_upload_id(upload_id)}.json"

    def _sender(self, upload_id: str, key: str, mpu: str | None) -> _Sender:
        with self._senders_guard:
            sender = self._senders.get(upload_id)
            if sender is None or sender.key != key:
                sender = self._senders[upload_id] = _Sender(self, upload_id, key, mpu)
            elif mpu is not None:
                sender.adopt(mpu)
            return sender

    def _end_sender(self, upload_id: str) -> _Sender | None:
        """This process's sender of the upload, after its last part (None if there is none)."""
        with self._senders_guard:
            sender = self._senders.pop(upload_id, None)
        if sender is not None:
            sender.drain()
        return sender

    def _load_parts(self, upload_id: str) -> _PartState | None:
        try:
            raw = json.loads(self._parts_path(upload_id).read_text("utf-8"))
            if raw.get("part_bytes") != PART_BYTES:
                return None  # written with another part size: promotion sends the file whole
            return _PartState(str(raw["key"]), str(raw["mpu"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # none, or unreadable: the staged file is the truth either way

    def _save_parts(self, upload_id: str, state: _PartState) -> None:
        self._parts_dir.mkdir(exist_ok=True, mode=0o700)
        path = self._parts_path(upload_id)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temp.write_text(state.to_json(), "utf-8")
        os.replace(temp, path)

    def _drop_parts(self, upload_id: str, sender: _Sender | None = None) -> None:
        """Abort the upload's multipart upload in S3 (nothing of it becomes visible)."""
        sender = self._end_sender(upload_id) or sender
        state = self._load_parts(upload_id)
        made = {(s.key, s.mpu) for s in (sender, state) if s is not None and s.mpu is not None}
        for key, mpu in made:
            with contextlib.suppress(ClientError):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=mpu)
        self._parts_path(upload_id).unlink(missing_ok=True)

    def _held_parts(self, key: str, mpu: str) -> dict[int, str]:
        """Part number → ETag of the parts S3 holds for this multipart upload."""
        held: dict[int, str] = {}
        paginator = self.client.get_paginator("list_parts")
        for page in paginator.paginate(Bucket=self.bucket, Key=key, UploadId=mpu):
            for part in page.get("Parts", []):
                held[int(part["PartNumber"])] = str(part["ETag"])
        return held

    def _complete_parts(self, source: Path, key: str, mpu: str) -> None:
        """Complete the multipart upload from the verified staged file.

        A part S3 already holds is used only if its ETag is the MD5 of the staged bytes of that
        part (S3, MinIO and RGW make a part's ETag the MD5 of its bytes unless the bucket
        encrypts with KMS; then every part is simply sent again). Others, and the short last
        part, are sent now. S3 checks every ETag listed against the part it holds, so a stale
        part landing after this check makes the completion fail rather than the object wrong.
        """
        held = self._held_parts(key, mpu)
        length = source.stat().st_size
        count = max(1, -(-length // PART_BYTES))
        parts: list[CompletedPartTypeDef] = []
        with source.open("rb") as handle:
            for number in range(1, count + 1):
                body = handle.read(PART_BYTES)
                etag = held.get(number)
                if (
                    etag is None
                    or etag.strip('"') != hashlib.md5(body, usedforsecurity=False).hexdigest()
                ):
                    etag = self.client.upload_part(
                        Bucket=self.bucket, Key=key, UploadId=mpu, PartNumber=number, Body=body
                    )["ETag"]
                parts.append({"PartNumber": number, "ETag": etag})
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=mpu, MultipartUpload={"Parts": parts}
        )

    # --- uploads: staged locally, exactly as the folder store does ---------------------------
    def lock_upload(self, upload_id: str) -> UploadLock:
        return self.staging.lock_upload(upload_id)

    def open_chunk(self, upload_id: str, offset: int, sha256: str = "") -> ChunkWriter:
        if not sha256:
            return self.staging.open_chunk(upload_id, offset)
        return _S3Chunk(self, upload_id, offset, sha256)

    def upload_size(self, upload_id: str) -> int:
        return self.staging.upload_size(upload_id)

    def hash_upload(self, upload_id: str, length: int) -> str | None:
        return self.staging.hash_upload(upload_id, length)

    def discard_upload(self, upload_id: str) -> None:
        self._drop_parts(upload_id)
        self.staging.discard_upload(upload_id)

    def stored_upload_ids(self) -> set[str]:
        ids = self.staging.stored_upload_ids()
        if self._parts_dir.is_dir():
            for path in self._parts_dir.glob("*.json"):
                with contextlib.suppress(ValueError):
                    ids.add(str(uuid.UUID(path.stem)))
        return ids

    def promote(self, upload_id: str, sha256: str) -> None:
        key = self._key(sha256)
        if self.hash_object(sha256) == sha256:
            self.discard_upload(upload_id)  # already there and verified; parts sent are dropped
            return
        source = self.staging._upload_path(upload_id)
        sender = self._end_sender(upload_id)  # waits for parts still on their way from here
        state = self._load_parts(upload_id)
        mpu = state.mpu if state is not None and state.key == key else None
        if mpu is None and sender is not None and sender.key == key:
            mpu = sender.mpu
        if not source.exists() and sha256 == hashlib.sha256().hexdigest():
            self._drop_parts(upload_id, sender)
            self.client.put_object(Bucket=self.bucket, Key=key, Body=b"")
        elif mpu is not None:
            try:
                self._complete_parts(source, key, mpu)
            except ClientError as exc:
                # S3 refused to assemble the parts (e.g. one replaced after it was checked):
                # send the verified file whole instead.
                log.warning("upload %s: multipart completion refused (%s)", upload_id, exc)
                self._drop_parts(upload_id, sender)
                self.client.upload_file(str(source), self.bucket, key, Config=self._transfer)
        else:
            self._drop_parts(upload_id, sender)  # if any: an earlier part size or another key
            # Multipart above PART_BYTES; the object appears only when all parts are in.
            self.client.upload_file(str(source), self.bucket, key, Config=self._transfer)
        self._parts_path(upload_id).unlink(missing_ok=True)  # completed: nothing to abort
        self.staging.discard_upload(upload_id)

    # --- objects -----------------------------------------------------------------------------
    def _get(self, sha256: str) -> Any | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise

    def hash_object(self, sha256: str) -> str | None:
        body = self._get(sha256)
        if body is None:
            return None
        digest = hashlib.sha256()
        with _ObjectReader(body) as reader:
            while block := reader.read(_READ_SIZE):
                digest.update(block)
        return digest.hexdigest()

    def open_object(self, sha256: str) -> BinaryIO:
        body = self._get(sha256)
        if body is None:
            raise FileNotFoundError(sha256)
        return cast(BinaryIO, _ObjectReader(body))

    def delete_object(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))

    def object_size(self, sha256: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return int(head["ContentLength"])

    def object_names(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        start = "/".join(p for p in (self.prefix, "objects") if p) + "/"
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                yield item["Key"].rsplit("/", 1)[-1]


def make_client() -> S3Client:
    """An S3 client from AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION."""
    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_REGION") or "us-east-1",
        # Path-style works with MinIO and Ceph RGW without wildcard DNS.
        config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
    )
