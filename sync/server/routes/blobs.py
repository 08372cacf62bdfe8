"""Content-addressed blobs and their resumable, verified uploads: the HTTP side only.

The upload state machine (locking, verification, promotion, reservations) lives in
`sync.server.uploads`; these handlers parse headers, stream the PATCH body and shape answers.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import contextlib
import hashlib
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sync.protocol import (
    CHUNK_CHECKSUM_STATUS,
    DIGEST_PATTERN,
    MAX_WIRE_INT,
    UPLOAD_COMPLETE,
    UPLOAD_LENGTH,
    UPLOAD_OFFSET,
    UPLOAD_SINGLE_MAX,
    BlobInfo,
    ErrorBody,
    UploadStatus,
)
from sync.server.db import Database
from sync.server.deps import Caller, CallerDep, DatabaseDep, SettingsDep, StoreDep
from sync.server.errors import ApiError, error_responses, not_found
from sync.server.models import BlobLink, Escalation, TenantBlob
from sync.server.uploads import Chunk, UploadService

log = logging.getLogger(__name__)
router = APIRouter(tags=["blobs"])

Digest = Annotated[str, Path(pattern=DIGEST_PATTERN, max_length=71)]
UploadId = Annotated[str, Path(max_length=64)]
# `sha256 ` and the base64 of 32 bytes (tus checksum extension), as `chunk_checksum` makes it.
CHECKSUM_PATTERN = r"^sha256 [A-Za-z0-9+/]{43}=$"
_OFFSET_HEADER = {"description": "bytes of the upload HQ holds", "schema": {"type": "integer"}}
_LENGTH_HEADER = {"description": "length in bytes", "schema": {"type": "integer"}}
_CHUNK_BODY = "application/offset+octet-stream"


# --- reading blobs -------------------------------------------------------------------------
def _visible_blob(db: Database, caller: Caller, sha: str) -> int | None:
    """Size of the blob if the caller may see it (own tenant, or an escalated case's blob)."""
    with db.reading() as session:
        if not caller.is_guidance:
            held = session.get(TenantBlob, (caller.tenant_id, sha))
            return held.size if held else None
        size = session.scalars(
            select(TenantBlob.size)
            .join(
                BlobLink,
                # The tenant that made the link must hold the blob itself (its own upload): a
                # centre naming a company's digest in an escalated case gets nothing.
                (
                    func.coalesce(BlobLink.linked_by_tenant_id, BlobLink.tenant_id)
                    == TenantBlob.tenant_id
                )
                & (BlobLink.sha256 == TenantBlob.sha256),
            )
            .join(
                Escalation,
                (Escalation.tenant_id == BlobLink.tenant_id)
                & (Escalation.case_id == BlobLink.case_id),
            )
            .where(TenantBlob.sha256 == sha, Escalation.guidance_tenant_id == caller.tenant_id)
        ).first()
        return size


@router.head(
    "/blobs/{digest}",
    # A HEAD answer has no body and so no content type: none is documented.
    response_class=Response,
    responses={
        200: {"description": "HQ holds the blob", "headers": {UPLOAD_LENGTH: _LENGTH_HEADER}},
        **error_responses(401, 404),
    },
)
def head_blob(digest: Digest, caller: CallerDep, db: DatabaseDep) -> Response:
    size = _visible_blob(db, caller, digest.removeprefix("sha256:"))
    if size is None:
        raise not_found("unknown blob")
    return Response(status_code=200, headers={UPLOAD_LENGTH: str(size)})


def _range_start(header: str | None, size: int) -> int:
    """The first byte asked for by ``Range: bytes=N-`` (a device resuming a download); 0 for
    no header or a form devices never send (multi-range, suffix: answered with all bytes,
    which RFC 9110 allows). Past the end → 416."""
    if not header:
        return 0
    unit, _eq, spec = header.partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip() != "bytes" or not dash or last or "," in spec or not first.isdigit():
        return 0
    start = int(first)
    if start >= size:
        raise ApiError(416, "range_not_satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return start


@router.get(
    "/blobs/{digest}",
    responses={
        200: {"content": {"application/octet-stream": {}}},
        206: {"content": {"application/octet-stream": {}}},
        **error_responses(401, 404, 416),
    },
    response_class=StreamingResponse,
)
def get_blob(
    digest: Digest,
    caller: CallerDep,
    db: DatabaseDep,
    store: StoreDep,
    range_header: Annotated[str | None, Header(alias="Range", max_length=100)] = None,
) -> Response:
    """The blob's bytes; ``Range: bytes=N-`` resumes a cut download from byte N (206)."""
    sha = digest.removeprefix("sha256:")
    size = _visible_blob(db, caller, sha)
    if size is None:
        raise not_found("unknown blob")
    start = _range_start(range_header, size)
    handle = store.open_object(sha)

    def chunks() -> Iterator[bytes]:
        with handle:
            skip = start
            if skip and getattr(handle, "seekable", lambda: False)():
                handle.seek(skip)
                skip = 0
            while skip > 0:  # a store whose objects only stream (S3): read past the start
                passed = handle.read(min(skip, 1024 * 1024))
                if not passed:
                    return
                skip -= len(passed)
            while block := handle.read(1024 * 1024):
                yield block

    headers = {"Content-Length": str(size - start), "Accept-Ranges": "bytes"}
    if start:
        headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
    return StreamingResponse(
        chunks(),
        status_code=206 if start else 200,
        media_type="application/octet-stream",
        headers=headers,
    )


# --- uploads -------------------------------------------------------------------------------
def _service(db: DatabaseDep, store: StoreDep, settings: SettingsDep) -> UploadService:
    return UploadService(db, store, settings)


ServiceDep = Annotated[UploadService, Depends(_service)]


@router.post(
    "/uploads",
    status_code=201,
    responses={200: {"model": UploadStatus}, **error_responses(401, 409, 413)},
)
async def create_upload(
    response: Response,
    caller: CallerDep,
    uploads: ServiceDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str, Header(pattern=DIGEST_PATTERN, max_length=71)],
    upload_length: Annotated[int, Header(ge=0, le=MAX_WIRE_INT)],
) -> UploadStatus:
    status, body = await run_in_threadpool(uploads.create, caller, idempotency_key, upload_length)
    response.status_code = status
    if settings.single_request_uploads:  # the device may send small files as one PUT
        response.headers[UPLOAD_SINGLE_MAX] = str(settings.max_chunk_bytes)
    return body


async def _discard_body(request: Request) -> None:
    """Read and drop a body the answer does not need.

    Answering before the body is read would make the server close the connection while the
    device is still sending: the device would see a cut link, not the answer.
    """
    with contextlib.suppress(ClientDisconnect):
        async for _piece in request.stream():
            pass


@router.put(
    "/blobs/{digest}",
    status_code=201,
    response_class=Response,
    responses={
        201: {
            "model": BlobInfo,
            "description": "stored, verified and recorded",
            "headers": {UPLOAD_OFFSET: _OFFSET_HEADER},
        },
        200: {"model": BlobInfo, "description": "the tenant already holds the blob"},
        # 422 (invalid headers, or bytes that do not match the digest) is documented for every
        # route by `sync.server.openapi`.
        **error_responses(400, 401, 405, 409, 413),
    },
    # The body is read as a stream, so FastAPI cannot see it: declared here.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_blob(
    digest: Digest,
    request: Request,
    caller: CallerDep,
    uploads: ServiceDep,
    settings: SettingsDep,
    upload_length: Annotated[int, Header(ge=0, le=MAX_WIRE_INT)],
) -> Response:
    """A whole file in one request: create, write and complete (protocol: one request per photo).

    The same state machine as POST /uploads + PATCH with Upload-Complete (see
    `UploadService.begin_whole`); a device falls back to those when this answers 405 or 409.
    """
    try:
        if not settings.single_request_uploads:
            raise ApiError(
                405,
                "method_not_allowed",
                "send the file with POST/PATCH /uploads",
                headers={"Allow": "GET, HEAD"},
            )
        if upload_length > settings.max_chunk_bytes:
            raise ApiError(
                413, "upload_too_large", f"at most {settings.max_chunk_bytes} bytes in one request"
            )
        # A body longer than Upload-Length is refused while it streams (413 beyond_length), a
        # shorter one keeps its bytes for a resumable upload (409 upload_incomplete).
        chunk = await run_in_threadpool(uploads.begin_whole, caller, digest, upload_length)
    except ApiError:
        await _discard_body(request)
        raise
    if chunk is None:
        await _discard_body(request)
        return Response(
            status_code=200,
            content=BlobInfo(digest=digest, size=upload_length).model_dump_json(),
            media_type="application/json",
        )
    received = await _receive(request, uploads, chunk, None)
    if received is None:
        return Response(status_code=400)
    result = await run_in_threadpool(uploads.finish_chunk, chunk, *received, digest)
    if result.completed is None:  # a shorter body than announced: the bytes are kept
        raise ApiError(409, "upload_incomplete", "send the remaining bytes", expected=result.offset)
    return Response(
        status_code=201,
        content=result.completed.model_dump_json(),
        media_type="application/json",
        headers={UPLOAD_OFFSET: str(result.offset)},
    )


@router.head(
    "/uploads/{upload_id}",
    response_class=Response,
    responses={
        200: {
            "description": "where to resume",
            "headers": {UPLOAD_OFFSET: _OFFSET_HEADER, UPLOAD_LENGTH: _LENGTH_HEADER},
        },
        **error_responses(401, 404),
    },
)
def upload_offset(upload_id: UploadId, caller: CallerDep, uploads: ServiceDep) -> Response:
    upload = uploads.status(caller, upload_id)
    return Response(
        status_code=200,
        headers={UPLOAD_OFFSET: str(upload.offset), UPLOAD_LENGTH: str(upload.length)},
    )


def _parse_checksum(value: str) -> bytes:
    algorithm, _, encoded = value.partition(" ")
    if algorithm != "sha256":
        raise ApiError(400, "bad_checksum_header", "use 'sha256 <base64 digest>'")
    try:
        digest = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "bad_checksum_header", "use 'sha256 <base64 digest>'") from exc
    if len(digest) != 32:
        raise ApiError(400, "bad_checksum_header", "use 'sha256 <base64 digest>'")
    return digest


async def _receive(
    request: Request, uploads: UploadService, chunk: Chunk, expected_digest: bytes | None
) -> tuple[int, str] | None:
    """Stream the body into the locked chunk: (bytes, their SHA-256); None if the client left.

    `expected_digest` is the chunk's `Upload-Checksum` (None for a whole-file PUT, whose digest
    is checked when it completes).
    """
    start, length = chunk.upload.offset, chunk.upload.length
    received = 0
    chunk_hash = hashlib.sha256()
    # From offset 0 the chunk hash is also the whole-file hash the service checks.
    absorber = _Absorber(chunk, chunk_hash)
    try:
        chunk.writer.start()
        async for piece in request.stream():
            received += len(piece)
            if start + received > length:
                raise ApiError(413, "beyond_length", "chunk goes past Upload-Length")
            await absorber.add(piece)
        await absorber.flush()
        if expected_digest is not None and chunk_hash.digest() != expected_digest:
            raise ApiError(CHUNK_CHECKSUM_STATUS, "chunk_checksum_mismatch", "chunk discarded")
    except ClientDisconnect:
        # Expected on hotel Wi-Fi: the partial chunk cannot be checked, so it is dropped and
        # the device resumes from the acknowledged offset. One line, not a traceback.
        absorber.settle()
        uploads.abort_chunk(chunk)  # quick (truncate, close); not awaited, see below
        log.info("upload %s: client went away mid-chunk at offset %d", chunk.upload.id, start)
        return None
    except BaseException:
        # Synchronously: after a cancellation an await here would be cancelled too, and the
        # upload would stay locked.
        absorber.settle()
        uploads.abort_chunk(chunk)
        raise
    return received, chunk_hash.hexdigest()


# Body bytes handed to a worker thread at a time (see _Absorber).
ABSORB_BYTES = 1024 * 1024
_ABSORB_POOL = ThreadPoolExecutor(8, thread_name_prefix="fairdesk-hq-absorb")


class _Absorber:
    """Hashes and writes a body's pieces on a worker thread, while the event loop reads on.

    Profiled during a drain, the event loop spent ~40 % of its time hashing and writing uploads
    itself, one upload at a time, while every other connection waited (loop saturated, HQ the
    bottleneck). SHA-256 and file writes release the GIL, so on a worker they run beside the
    loop and beside other uploads. One batch at a time per upload (in order: the hash is of
    the bytes in sequence); the next batch is gathered while the previous one is absorbed.
    """

    def __init__(self, chunk: Chunk, digest: Any) -> None:
        self._chunk, self._digest = chunk, digest
        self._batch: list[bytes] = []
        self._size = 0
        self._running: concurrent.futures.Future[None] | None = None

    def _absorb(self, pieces: list[bytes]) -> None:
        for piece in pieces:
            self._digest.update(piece)
            self._chunk.writer.write(piece)

    async def add(self, piece: bytes) -> None:
        self._batch.append(piece)
        self._size += len(piece)
        if self._size >= ABSORB_BYTES:
            await self._hand_over()

    async def _hand_over(self) -> None:
        if self._running is not None:
            await asyncio.wrap_future(self._running)
        self._running = _ABSORB_POOL.submit(self._absorb, self._batch) if self._batch else None
        self._batch, self._size = [], 0

    async def flush(self) -> None:
        await self._hand_over()
        await self._hand_over()  # waits for the last batch

    def settle(self) -> None:
        """Wait (blocking, one batch at most) for the worker before the file is cut or closed."""
        if self._running is not None:
            # Its error (or cancellation) was or will be raised by the awaiting side.
            with contextlib.suppress(BaseException):
                self._running.result()


@router.patch(
    "/uploads/{upload_id}",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "chunk stored", "headers": {UPLOAD_OFFSET: _OFFSET_HEADER}},
        201: {
            "model": BlobInfo,
            "description": "last chunk stored and the upload completed",
            "headers": {UPLOAD_OFFSET: _OFFSET_HEADER},
        },
        CHUNK_CHECKSUM_STATUS: {"description": "chunk checksum mismatch", "model": ErrorBody},
        # 422 (invalid headers, or with Upload-Complete stored bytes that do not match the
        # digest) is documented for every route by `sync.server.openapi`.
        **error_responses(400, 401, 404, 409, 413),
    },
    # The body is read as a stream, so FastAPI cannot see it: declared here.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {_CHUNK_BODY: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_chunk(
    upload_id: UploadId,
    request: Request,
    caller: CallerDep,
    uploads: ServiceDep,
    upload_offset: Annotated[int, Header(ge=0, le=MAX_WIRE_INT)],
    upload_checksum: Annotated[str, Header(pattern=CHECKSUM_PATTERN, max_length=51)],
    upload_complete: Annotated[
        str | None, Header(alias=UPLOAD_COMPLETE, pattern=DIGEST_PATTERN, max_length=71)
    ] = None,
) -> Response:
    expected_digest = _parse_checksum(upload_checksum)
    declared = request.headers.get("content-length")
    chunk = await run_in_threadpool(
        uploads.begin_chunk,
        caller,
        upload_id,
        upload_offset,
        int(declared) if declared is not None and declared.isdigit() else None,
    )
    received = await _receive(request, uploads, chunk, expected_digest)
    if received is None:
        return Response(status_code=400)
    result = await run_in_threadpool(uploads.finish_chunk, chunk, *received, upload_complete)
    headers = {UPLOAD_OFFSET: str(result.offset)}
    if result.completed is None:
        return Response(status_code=204, headers=headers)
    return Response(
        status_code=201,
        content=result.completed.model_dump_json(),
        media_type="application/json",
        headers=headers,
    )


@router.post(
    "/uploads/{upload_id}/complete",
    status_code=201,
    responses=error_responses(401, 404, 409),
)
async def complete_upload(
    upload_id: UploadId,
    caller: CallerDep,
    uploads: ServiceDep,
    digest: Annotated[str, Query(pattern=DIGEST_PATTERN, max_length=71)],
) -> BlobInfo:
    return await run_in_threadpool(uploads.complete, caller, upload_id, digest)
