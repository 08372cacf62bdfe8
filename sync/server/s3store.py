"""Blobs in an S3-compatible bucket (MinIO, Ceph RGW, AWS S3), behind `blobstore.BlobStore`.

Objects live at `<prefix>/objects/ab/<sha256>`; keys are made here from the server-computed
digest, never from client input. An upload in progress is staged in the local blob folder by a
`LocalBlobStore` (same locks, same truncate-to-the-acknowledged-offset chunks, offsets in the
database), so every guarantee of the upload state machine carries over unchanged: the bytes
promoted are the upload's own bytes, hashed under its lock. Promotion sends them with a multipart
upload (8 MiB parts); S3 makes an object visible only when the multipart upload completes, so a
crash mid-way leaves no partial object. An object already in the bucket is re-hashed by streaming
it before it is trusted, and replaced if it does not hash right.

The local folder only ever holds uploads in flight (bounded by quota reservations and removed by
`uploads expire`); stored blobs grow in the bucket. Endpoint and credentials come from the usual
environment variables: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from sync.server.blobstore import ChunkWriter, LocalBlobStore, UploadLock, _check_sha

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PART_BYTES = 8 * 1024 * 1024
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


class S3BlobStore:
    """Objects in `s3://bucket/prefix`, uploads staged in `staging` (a local folder)."""

    def __init__(self, url: str, staging: Path, client: S3Client | None = None) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.staging = LocalBlobStore(staging)
        self.client: S3Client = client or make_client()
        self._transfer = TransferConfig(
            multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, use_threads=True
        )

    @property
    def uploads(self) -> Path:
        """Local folder of uploads in flight (same layout as the folder store's)."""
        return self.staging.uploads

    def _key(self, sha256: str) -> str:
        sha = _check_sha(sha256)
        return "/".join(p for p in (self.prefix, "objects", sha[:2], sha) if p)

    # --- uploads: staged locally, exactly as the folder store does ---------------------------
    def lock_upload(self, upload_id: str) -> UploadLock:
        return self.staging.lock_upload(upload_id)

    def open_chunk(self, upload_id: str, offset: int) -> ChunkWriter:
        return self.staging.open_chunk(upload_id, offset)

    def upload_size(self, upload_id: str) -> int:
        return self.staging.upload_size(upload_id)

    def hash_upload(self, upload_id: str, length: int) -> str | None:
        return self.staging.hash_upload(upload_id, length)

    def discard_upload(self, upload_id: str) -> None:
        self.staging.discard_upload(upload_id)

    def stored_upload_ids(self) -> set[str]:
        return self.staging.stored_upload_ids()

    def promote(self, upload_id: str, sha256: str) -> None:
        key = self._key(sha256)
        if self.hash_object(sha256) == sha256:
            self.staging.discard_upload(upload_id)  # already there and verified
            return
        source = self.staging._upload_path(upload_id)
        if not source.exists() and sha256 == hashlib.sha256().hexdigest():
            self.client.put_object(Bucket=self.bucket, Key=key, Body=b"")
        else:
            # Multipart above PART_BYTES; the object appears only when all parts are in.
            self.client.upload_file(str(source), self.bucket, key, Config=self._transfer)
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
