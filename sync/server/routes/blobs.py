"""Content-addressed blobs and their resumable, verified uploads.

Bytes go to a file named by the server's upload id; the offset in the database only advances
after the chunk is fsynced, so a crash at any point loses at most the unacknowledged chunk. The
blob becomes visible (`tenant_blobs` row) only after the whole file was re-hashed and promoted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sync.protocol import (
    CHUNK_CHECKSUM_STATUS,
    DIGEST_PATTERN,
    UPLOAD_COMPLETE,
    UPLOAD_LENGTH,
    UPLOAD_OFFSET,
    BlobInfo,
    UploadStatus,
)
from sync.server.blobstore import BlobStore, UploadBusy
from sync.server.config import Settings
from sync.server.db import Database
from sync.server.deps import Caller, CallerDep, DatabaseDep, SettingsDep, StoreDep
from sync.server.errors import ApiError, error_responses, not_found
from sync.server.models import (
    Blob,
    BlobLink,
    Escalation,
    Tenant,
    TenantBlob,
    Upload,
    utcnow,
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["blobs"])

Digest = Annotated[str, Path(pattern=DIGEST_PATTERN, max_length=71)]
UploadId = Annotated[str, Path(max_length=64)]


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
                (BlobLink.tenant_id == TenantBlob.tenant_id)
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


@router.head("/blobs/{digest}", responses=error_responses(401, 404))
def head_blob(digest: Digest, caller: CallerDep, db: DatabaseDep) -> Response:
    size = _visible_blob(db, caller, digest.removeprefix("sha256:"))
    if size is None:
        raise not_found("unknown blob")
    return Response(status_code=200, headers={UPLOAD_LENGTH: str(size)})


@router.get(
    "/blobs/{digest}",
    responses={
        200: {"content": {"application/octet-stream": {}}},
        **error_responses(401, 404),
    },
    response_class=StreamingResponse,
)
def get_blob(digest: Digest, caller: CallerDep, db: DatabaseDep, store: StoreDep) -> Response:
    sha = digest.removeprefix("sha256:")
    size = _visible_blob(db, caller, sha)
    if size is None:
        raise not_found("unknown blob")
    handle = store.open_object(sha)

    def chunks() -> Iterator[bytes]:
        with handle:
            while block := handle.read(1024 * 1024):
                yield block

    return StreamingResponse(
        chunks(),
        media_type="application/octet-stream",
        headers={"Content-Length": str(size)},
    )


# --- uploads -------------------------------------------------------------------------------
def _status(upload: Upload) -> UploadStatus:
    return UploadStatus(
        upload_id=upload.id,
        offset=upload.offset,
        length=upload.length,
        complete=upload.state == "complete",
    )


def _own_upload(db: Database, caller: Caller, upload_id: str) -> Upload:
    with db.reading() as session:
        upload = session.get(Upload, upload_id)
    # Uploads are scoped to tenant *and* device: nobody else may learn or touch the offset.
    if (
        upload is None
        or upload.tenant_id != caller.tenant_id
        or upload.device_id != caller.device_id
    ):
        raise not_found("unknown upload")
    return upload


def _create_upload(
    db: Database, settings: Settings, caller: Caller, key: str, length: int
) -> tuple[int, UploadStatus]:
    if length > settings.max_upload_bytes:
        raise ApiError(413, "upload_too_large", f"at most {settings.max_upload_bytes} bytes")
    sha = key.removeprefix("sha256:")
    with db.writing() as session:
        existing = session.scalars(
            select(Upload).where(
                Upload.tenant_id == caller.tenant_id,
                Upload.device_id == caller.device_id,
                Upload.idempotency_key == key,
            )
        ).first()
        if existing is not None:
            if existing.length != length:
                raise ApiError(422, "idempotency_key_reused", "same key, different Upload-Length")
            return 200, _status(existing)
        if session.get(TenantBlob, (caller.tenant_id, sha)) is not None:
            return 200, UploadStatus(upload_id="", offset=length, length=length, complete=True)
        tenant = session.get_one(Tenant, caller.tenant_id)
        stored = session.scalars(
            select(func.coalesce(func.sum(TenantBlob.size), 0)).where(
                TenantBlob.tenant_id == caller.tenant_id
            )
        ).one()
        reserved = session.scalars(
            select(func.coalesce(func.sum(Upload.length), 0)).where(
                Upload.tenant_id == caller.tenant_id, Upload.state == "open"
            )
        ).one()
        if int(stored) + int(reserved) + length > tenant.quota_bytes:
            raise ApiError(413, "quota_exceeded", "the tenant's storage quota is used up")
        upload = Upload(
            tenant_id=caller.tenant_id,
            device_id=caller.device_id,
            idempotency_key=key,
            length=length,
            offset=0,
            state="open",
        )
        session.add(upload)
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent retry with the same key won the race
            raise ApiError(409, "concurrent_retry", "retry the request") from exc
        return 201, _status(upload)


@router.post(
    "/uploads",
    status_code=201,
    responses={200: {"model": UploadStatus}, **error_responses(401, 409, 413)},
)
async def create_upload(
    response: Response,
    caller: CallerDep,
    db: DatabaseDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str, Header(pattern=DIGEST_PATTERN, max_length=71)],
    upload_length: Annotated[int, Header(ge=0, le=2**62)],
) -> UploadStatus:
    status, body = await run_in_threadpool(
        _create_upload, db, settings, caller, idempotency_key, upload_length
    )
    response.status_code = status
    return body


@router.head("/uploads/{upload_id}", responses=error_responses(401, 404))
def upload_offset(upload_id: UploadId, caller: CallerDep, db: DatabaseDep) -> Response:
    upload = _own_upload(db, caller, upload_id)
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


def _advance(db: Database, upload_id: str, old: int, new: int) -> bool:
    with db.writing() as session:
        moved = session.execute(
            update(Upload)
            .where(Upload.id == upload_id, Upload.offset == old, Upload.state == "open")
            .values(offset=new, updated_at=utcnow())
        )
        return getattr(moved, "rowcount", 0) == 1


@router.patch(
    "/uploads/{upload_id}",
    status_code=204,
    responses={
        201: {"model": BlobInfo, "description": "last chunk stored and the upload completed"},
        CHUNK_CHECKSUM_STATUS: {"description": "chunk checksum mismatch", "model": None},
        **error_responses(400, 401, 404, 409, 413),
        # Either a malformed header (FastAPI's validation body) or, with Upload-Complete,
        # stored bytes that do not match the digest (ErrorBody).
        422: {
            "description": "invalid headers, or the completed file does not match its digest",
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/ErrorBody"},
                            {"$ref": "#/components/schemas/HTTPValidationError"},
                        ]
                    }
                }
            },
        },
    },
)
async def upload_chunk(
    upload_id: UploadId,
    request: Request,
    caller: CallerDep,
    db: DatabaseDep,
    store: StoreDep,
    upload_offset: Annotated[int, Header(ge=0, le=2**62)],
    upload_checksum: Annotated[str, Header(max_length=100)],
    upload_complete: Annotated[
        str | None, Header(alias=UPLOAD_COMPLETE, pattern=DIGEST_PATTERN, max_length=71)
    ] = None,
) -> Response:
    expected_digest = _parse_checksum(upload_checksum)
    upload = await run_in_threadpool(_own_upload, db, caller, upload_id)
    if upload.state != "open":
        raise ApiError(409, "upload_complete", "upload already complete")
    if upload_offset != upload.offset:
        raise ApiError(
            409, "offset_mismatch", "resume from the server offset", expected=upload.offset
        )
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isdigit()
        and upload.offset + int(declared) > upload.length
    ):
        raise ApiError(413, "beyond_length", "chunk goes past Upload-Length")
    try:
        writer = await run_in_threadpool(store.open_chunk, upload.id, upload.offset)
    except UploadBusy as exc:
        raise ApiError(409, "upload_busy", "another request is writing this upload") from exc
    received = 0
    hasher = hashlib.sha256()
    try:
        # Re-read under the lock: a request that raced us may have advanced the offset.
        current = await run_in_threadpool(_own_upload, db, caller, upload_id)
        if current.offset != upload.offset or current.state != "open":
            raise ApiError(
                409, "offset_mismatch", "resume from the server offset", expected=current.offset
            )
        writer.start()
        async for piece in request.stream():
            received += len(piece)
            if upload.offset + received > upload.length:
                raise ApiError(413, "beyond_length", "chunk goes past Upload-Length")
            hasher.update(piece)
            writer.write(piece)
        if hasher.digest() != expected_digest:
            raise ApiError(CHUNK_CHECKSUM_STATUS, "chunk_checksum_mismatch", "chunk discarded")
        await run_in_threadpool(writer.finish)
    except ClientDisconnect:
        # Expected on hotel Wi-Fi: the partial chunk cannot be checked, so it is dropped and
        # the device resumes from the acknowledged offset. One line, not a traceback.
        writer.abort()
        log.info("upload %s: client went away mid-chunk at offset %d", upload_id, upload.offset)
        return Response(status_code=400)
    except BaseException:
        writer.abort()
        raise
    new_offset = upload.offset + received
    if (
        upload_complete is not None
        and upload.offset == 0
        and new_offset == upload.length
        and upload_complete == upload.idempotency_key
    ):
        # The whole file arrived in this one request from offset 0: what we hashed while
        # writing is the digest of exactly the stored bytes (cut to 0, all written, fsynced),
        # so no re-read, and offset + completion are one commit (a photo's common case).
        info = await run_in_threadpool(
            _complete_whole, db, store, caller, upload, new_offset, hasher.hexdigest()
        )
        return Response(
            status_code=201,
            content=info.model_dump_json(),
            media_type="application/json",
            headers={UPLOAD_OFFSET: str(new_offset)},
        )
    if not await run_in_threadpool(_advance, db, upload.id, upload.offset, new_offset):
        raise ApiError(409, "offset_mismatch", "resume from the server offset")
    if upload_complete is None or new_offset != upload.length:
        return Response(status_code=204, headers={UPLOAD_OFFSET: str(new_offset)})
    info = await run_in_threadpool(_complete, db, store, caller, upload.id, upload_complete)
    return Response(
        status_code=201,
        content=info.model_dump_json(),
        media_type="application/json",
        headers={UPLOAD_OFFSET: str(new_offset)},
    )


def _complete(
    db: Database, store: BlobStore, caller: Caller, upload_id: str, digest: str
) -> BlobInfo:
    """Verify the stored bytes against `digest` (re-hashing the file) and make the blob visible.

    A whole file sent in one request goes through `_complete_whole` instead.
    """
    upload = _own_upload(db, caller, upload_id)
    sha = digest.removeprefix("sha256:")
    if digest != upload.idempotency_key:
        raise ApiError(422, "digest_mismatch", "digest differs from the upload's Idempotency-Key")
    if upload.state == "complete":
        return BlobInfo(digest=digest, size=upload.length)
    if upload.offset != upload.length:
        raise ApiError(409, "upload_incomplete", "send the remaining bytes", expected=upload.offset)
    actual = store.hash_upload(upload.id, upload.length)
    if actual is None and store.has_object(sha):
        # Crashed after promotion but before the commit below: the object was verified then.
        actual = store.hash_object(sha)
    if actual != sha:
        store.discard_upload(upload.id)
        with db.writing() as session:
            session.execute(
                update(Upload).where(Upload.id == upload.id).values(offset=0, updated_at=utcnow())
            )
        raise ApiError(422, "digest_mismatch", "stored bytes do not match; upload again")
    store.promote(upload.id, sha)
    with db.writing() as session:
        _record_blob(session, caller, upload, sha)
    return BlobInfo(digest=digest, size=upload.length)


def _complete_whole(
    db: Database, store: BlobStore, caller: Caller, upload: Upload, length: int, received_sha: str
) -> BlobInfo:
    """`_complete` for a whole file written by one request: offset, blob and state, one commit.

    A crash after promotion but before the commit leaves the upload open at its old offset;
    the device sends the file again and promotion is idempotent.
    """
    digest = upload.idempotency_key
    sha = digest.removeprefix("sha256:")
    if received_sha != sha:
        store.discard_upload(upload.id)
        with db.writing() as session:
            session.execute(
                update(Upload).where(Upload.id == upload.id).values(offset=0, updated_at=utcnow())
            )
        raise ApiError(422, "digest_mismatch", "stored bytes do not match; upload again")
    store.promote(upload.id, sha)
    with db.writing() as session:
        moved = session.execute(
            update(Upload)
            .where(Upload.id == upload.id, Upload.offset == upload.offset, Upload.state == "open")
            .values(offset=length, updated_at=utcnow())
        )
        if getattr(moved, "rowcount", 0) != 1:  # raced: the rollback keeps the old offset
            raise ApiError(409, "offset_mismatch", "resume from the server offset")
        _record_blob(session, caller, upload, sha)
    return BlobInfo(digest=digest, size=length)


def _record_blob(session: Session, caller: Caller, upload: Upload, sha: str) -> None:
    """The verified object's rows (blob, the tenant's link) and the upload marked complete."""
    blob = session.get(Blob, sha)
    if blob is None:
        blob = Blob(sha256=sha, size=upload.length, refcount=0)
        session.add(blob)
    if session.get(TenantBlob, (caller.tenant_id, sha)) is None:
        links = session.scalars(
            select(func.count())
            .select_from(BlobLink)
            .where(BlobLink.tenant_id == caller.tenant_id, BlobLink.sha256 == sha)
        ).one()
        session.add(
            TenantBlob(tenant_id=caller.tenant_id, sha256=sha, size=upload.length, refcount=links)
        )
        blob.refcount += 1
    session.execute(
        update(Upload).where(Upload.id == upload.id).values(state="complete", updated_at=utcnow())
    )


@router.post(
    "/uploads/{upload_id}/complete",
    status_code=201,
    responses=error_responses(401, 404, 409, 422),
)
async def complete_upload(
    upload_id: UploadId,
    caller: CallerDep,
    db: DatabaseDep,
    store: StoreDep,
    digest: Annotated[str, Query(pattern=DIGEST_PATTERN, max_length=71)],
) -> BlobInfo:
    return await run_in_threadpool(_complete, db, store, caller, upload_id, digest)
