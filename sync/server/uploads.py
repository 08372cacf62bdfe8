"""Resumable, verified blob uploads as one state machine (the service behind `routes/blobs.py`).

States (`UploadState`); every move is one transaction with the upload's row locked
(`SELECT … FOR UPDATE` on PostgreSQL; every write transaction is `BEGIN IMMEDIATE` on SQLite):

    receiving ──(all bytes there, /complete)──► verifying ──(own bytes hash right)──► complete
        │  └──(whole file in one PATCH, hashed while written)───────────────────────► complete
        ├──(stored bytes do not match the digest)──► failed ◄──────────┘ (also from verifying)
        └──(reservation lapsed, device revoked)────► expired           (also from verifying)

`failed` and `expired` are final: no request can complete such an upload, the device POSTs again
and gets a new upload id (the final row is replaced). Steps that touch an upload's bytes hold its
lock (`BlobStore.lock_upload`) from before they read the row until after their last commit, so
PATCHes and completions of one upload run one at a time and no one can change the file between
its hash and its promotion. A blob is recorded for a tenant only by the request that hashed that
upload's own bytes under the lock — never because an object with that name already exists (which
is how another tenant's blob used to leak), and an existing object is re-hashed by `promote`.

Reservations: a live upload's `length` counts against the tenant's quota until `expires_at`
(`Settings.upload_reservation_hours` after the last activity), until it completes, or until its
device is revoked. `expire` (the `fairdesk-hq uploads expire` command) makes lapsed uploads final
and removes the files of every upload that is over.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NoReturn

from sqlalchemy import func, select, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync.protocol import BlobInfo, UploadStatus
from sync.server.blobstore import BlobStore, ChunkWriter, UploadBusy, UploadLock
from sync.server.config import Settings
from sync.server.db import Database
from sync.server.deps import Caller
from sync.server.errors import ApiError, not_found
from sync.server.models import Blob, BlobLink, Tenant, TenantBlob, Upload, utcnow

log = logging.getLogger(__name__)


class UploadState(StrEnum):
    RECEIVING = "receiving"
    VERIFYING = "verifying"
    COMPLETE = "complete"
    FAILED = "failed"
    EXPIRED = "expired"


LIVE_STATES = (UploadState.RECEIVING, UploadState.VERIFYING)


@dataclass(frozen=True)
class UploadView:
    """A snapshot of one upload row (ORM objects stay inside their session)."""

    id: str
    tenant_id: str
    device_id: str
    key: str
    length: int
    offset: int
    state: UploadState
    expires_at: datetime

    @classmethod
    def of(cls, row: Upload) -> UploadView:
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            device_id=row.device_id,
            key=row.idempotency_key,
            length=row.length,
            offset=row.offset,
            state=UploadState(row.state),
            expires_at=row.expires_at,
        )

    @property
    def sha(self) -> str:
        return self.key.removeprefix("sha256:")

    def lapsed(self, now: datetime) -> bool:
        return self.state in LIVE_STATES and self.expires_at <= now

    def status(self) -> UploadStatus:
        return UploadStatus(
            upload_id=self.id,
            offset=self.offset,
            length=self.length,
            complete=self.state == UploadState.COMPLETE,
        )

    def info(self) -> BlobInfo:
        return BlobInfo(digest=self.key, size=self.length)


@dataclass
class Chunk:
    """One PATCH in progress: the upload as it was when the lock was taken, the lock, the file."""

    upload: UploadView
    lock: UploadLock
    writer: ChunkWriter


@dataclass(frozen=True)
class ChunkResult:
    offset: int
    completed: BlobInfo | None  # set when this PATCH also completed the upload (201)


def _busy() -> ApiError:
    return ApiError(
        409,
        "upload_busy",
        "another request is writing or verifying this upload; retry shortly",
        headers={"Retry-After": "1"},
    )


def _refuse(upload: UploadView, now: datetime) -> ApiError | None:
    """Why no more bytes may be written to `upload`, or None if they may."""
    if upload.state == UploadState.COMPLETE:
        return ApiError(409, "upload_complete", "upload already complete")
    if upload.state == UploadState.FAILED:
        return ApiError(409, "upload_failed", "the stored bytes did not match; start a new upload")
    if upload.state == UploadState.EXPIRED or upload.lapsed(now):
        return ApiError(409, "upload_expired", "the upload's reservation lapsed; start again")
    if upload.state == UploadState.VERIFYING:
        return _busy()
    return None


def _insert_missing(session: Session, model: Any, **values: Any) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True if this transaction inserted the row.

    Two tenants (or two devices of one tenant) completing the same bytes at once must both
    succeed; a plain INSERT after a SELECT raced into a unique violation (a 500) on PostgreSQL.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A returned key, not rowcount: psycopg reports -1 for this statement, which left
    # Blob.refcount at 0 on PostgreSQL however many tenants held the bytes.
    key = sa_inspect(model).primary_key[0]
    inserted = session.execute(
        insert(model).values(**values).on_conflict_do_nothing().returning(key)
    )
    return inserted.first() is not None


def lock_digest(session: Session, sha: str) -> None:
    """Per-digest lock until the transaction ends, shared with garbage collection (`blobgc`):
    an upload is added either before the collector looks at its digest or after the object is
    gone. PostgreSQL advisory lock; SQLite serialises write transactions anyway."""
    if session.get_bind().dialect.name == "postgresql":
        key = int(sha[:15], 16)  # 60 bits: fits a bigint
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def record_blob(session: Session, tenant_id: str, sha: str, size: int) -> None:
    """The verified object's rows: the blob and the tenant's claim on it (both idempotent)."""
    _insert_missing(session, Blob, sha256=sha, size=size, refcount=0, created_at=utcnow())
    links = session.scalars(
        select(func.count())
        .select_from(BlobLink)
        .where(
            # References this tenant made (a centre's notes live in the company's rows).
            func.coalesce(BlobLink.linked_by_tenant_id, BlobLink.tenant_id) == tenant_id,
            BlobLink.sha256 == sha,
        )
    ).one()
    if _insert_missing(
        session,
        TenantBlob,
        tenant_id=tenant_id,
        sha256=sha,
        size=size,
        refcount=links,
        created_at=utcnow(),
    ):
        session.execute(update(Blob).where(Blob.sha256 == sha).values(refcount=Blob.refcount + 1))
        session.execute(
            update(Tenant)
            .where(Tenant.id == tenant_id)
            .values(stored_bytes=Tenant.stored_bytes + size)
        )


def release_device(session: Session, device_id: str) -> int:
    """A revoked device's live uploads stop counting against the quota at once (→ expired)."""
    result = session.execute(
        update(Upload)
        .where(Upload.device_id == device_id, Upload.state.in_(LIVE_STATES))
        .values(state=UploadState.EXPIRED, updated_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0))


def live_reservations(session: Session, tenant_id: str, now: datetime) -> int:
    """Bytes reserved by the tenant's live, unlapsed uploads."""
    total = session.scalars(
        select(func.coalesce(func.sum(Upload.length), 0)).where(
            Upload.tenant_id == tenant_id,
            Upload.state.in_(LIVE_STATES),
            Upload.expires_at > now,
        )
    ).one()
    return int(total)


class UploadService:
    """Create, resume, write, verify and expire uploads for the routes and the admin CLI."""

    def __init__(self, db: Database, store: BlobStore, settings: Settings) -> None:
        self.db = db
        self.store = store
        self.settings = settings

    @property
    def reservation(self) -> timedelta:
        return timedelta(hours=self.settings.upload_reservation_hours)

    # --- rows ------------------------------------------------------------------------------
    def _read(self, caller: Caller, upload_id: str) -> UploadView:
        with self.db.reading() as session:
            row = session.get(Upload, upload_id)
            upload = UploadView.of(row) if row is not None else None
        # Scoped to tenant *and* device: nobody else may learn or touch the offset.
        if upload is None or (upload.tenant_id, upload.device_id) != (
            caller.tenant_id,
            caller.device_id,
        ):
            raise not_found("unknown upload")
        return upload

    @staticmethod
    def _locked_row(session: Session, upload_id: str) -> Upload:
        row = session.scalars(
            select(Upload).where(Upload.id == upload_id).with_for_update()
        ).one_or_none()
        if row is None:  # only an operator deleting rows by hand gets here
            raise not_found("unknown upload")
        return row

    @contextmanager
    def _step(self, upload_id: str) -> Iterator[tuple[Session, Upload]]:
        """One state-machine step: a write transaction with the upload's row locked."""
        with self.db.writing() as session:
            yield session, self._locked_row(session, upload_id)

    def _lock(self, upload_id: str) -> UploadLock:
        try:
            return self.store.lock_upload(upload_id)
        except UploadBusy as exc:
            raise _busy() from exc

    def _close(self, upload: UploadView, lock: UploadLock) -> None:
        """The upload is over (held lock): its bytes and lock file go."""
        self.store.discard_upload(upload.id)
        lock.forget()

    # --- create / status -------------------------------------------------------------------
    def create(
        self, caller: Caller, key: str, length: int, *, durable: bool = True
    ) -> tuple[int, UploadStatus]:
        """POST /uploads: the same live upload again on retry, else a new reservation.

        `durable=False` (a whole-file PUT): the device is never told this upload's id, so the
        row need not be on disk before the body arrives; the completion's durable commit makes
        it so (one WAL fsync per photo instead of two). Lost in a crash, the device simply sends
        the file again (its bytes under the lost id are removed by `expire`).
        """
        if length > self.settings.max_upload_bytes:
            raise ApiError(
                413, "upload_too_large", f"at most {self.settings.max_upload_bytes} bytes"
            )
        sha = key.removeprefix("sha256:")
        now = utcnow()
        with self.db.writing(durable=durable) as session:
            existing = session.scalars(
                select(Upload)
                .where(
                    Upload.tenant_id == caller.tenant_id,
                    Upload.device_id == caller.device_id,
                    Upload.idempotency_key == key,
                )
                .with_for_update()
            ).first()
            if existing is not None:
                view = UploadView.of(existing)
                collected = (
                    view.state == UploadState.COMPLETE
                    and session.get(TenantBlob, (caller.tenant_id, sha)) is None
                )
                if (
                    view.state in (UploadState.FAILED, UploadState.EXPIRED)
                    or view.lapsed(now)
                    or collected  # garbage collection released the blob: upload it afresh
                ):
                    # Over for good: a new upload (new id) replaces it; leftover files of the
                    # old id are removed by `expire`.
                    session.delete(existing)
                    session.flush()
                    existing = None
                elif view.length != length:
                    raise ApiError(
                        422, "idempotency_key_reused", "same key, different Upload-Length"
                    )
                else:
                    if view.state in LIVE_STATES:  # resuming keeps the reservation alive
                        existing.expires_at = now + self.reservation
                    return 200, view.status()
            if session.get(TenantBlob, (caller.tenant_id, sha)) is not None:
                return 200, UploadStatus(upload_id="", offset=length, length=length, complete=True)
            lock_digest(session, sha)
            # Locked so that two POSTs of one tenant cannot both fit in the last free bytes.
            tenant = session.get_one(Tenant, caller.tenant_id, with_for_update=True)
            reserved = live_reservations(session, caller.tenant_id, now)
            if tenant.stored_bytes + reserved + length > tenant.quota_bytes:
                raise ApiError(413, "quota_exceeded", "the tenant's storage quota is used up")
            row = Upload(
                tenant_id=caller.tenant_id,
                device_id=caller.device_id,
                idempotency_key=key,
                length=length,
                offset=0,
                state=UploadState.RECEIVING,
                created_at=now,
                updated_at=now,
                expires_at=now + self.reservation,
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError as exc:  # a concurrent retry with the same key won the race
                raise ApiError(409, "concurrent_retry", "retry the request") from exc
            return 201, UploadView.of(row).status()

    def status(self, caller: Caller, upload_id: str) -> UploadView:
        """HEAD /uploads/{id}: an upload that is over (failed, expired) is unknown to devices."""
        upload = self._read(caller, upload_id)
        if upload.state in (UploadState.FAILED, UploadState.EXPIRED) or upload.lapsed(utcnow()):
            raise not_found("upload is over; start a new one")
        return upload

    # --- one request (PUT /blobs/{digest}) ----------------------------------------------------
    def begin_whole(self, caller: Caller, key: str, length: int) -> Chunk | None:
        """A whole file in one request: `create`, then `begin_chunk` at offset 0.

        None when the tenant already holds the blob. Otherwise the caller streams the body into
        the returned chunk and calls `finish_chunk(..., complete=key)`: the same steps, lock
        and checks as POST + PATCH with `Upload-Complete`, so the blob is recorded only from
        the bytes this request wrote and hashed.
        """
        _code, status = self.create(caller, key, length, durable=False)
        if status.complete:
            return None
        return self.begin_chunk(caller, status.upload_id, 0, length)

    # --- PATCH -----------------------------------------------------------------------------
    def begin_chunk(
        self, caller: Caller, upload_id: str, offset: int, declared: int | None
    ) -> Chunk:
        """Lock the upload for one PATCH at `offset`; the caller streams, then `finish_chunk`."""

        def check(upload: UploadView) -> None:
            refused = _refuse(upload, utcnow())
            if refused is not None:
                raise refused
            if offset != upload.offset:
                raise ApiError(
                    409, "offset_mismatch", "resume from the server offset", expected=upload.offset
                )
            if declared is not None and upload.offset + declared > upload.length:
                raise ApiError(413, "beyond_length", "chunk goes past Upload-Length")

        check(self._read(caller, upload_id))  # cheap answers before touching any file
        lock = self._lock(upload_id)
        try:
            upload = self._read(caller, upload_id)  # a request that held the lock moved it on
            if upload.state not in LIVE_STATES:
                self._close(upload, lock)
            check(upload)
            return Chunk(upload, lock, self.store.open_chunk(upload.id, upload.offset, upload.sha))
        except BaseException:
            lock.release()
            raise

    def abort_chunk(self, chunk: Chunk) -> None:
        try:
            chunk.writer.abort()
        finally:
            chunk.lock.release()

    def finish_chunk(
        self, chunk: Chunk, received: int, received_sha: str, complete: str | None
    ) -> ChunkResult:
        """Make the chunk durable, advance the offset, and complete if the device asked to.

        The lock is held throughout (released here), so no other PATCH can cut or rewrite the
        file between this fsync and the promotion/commit below.
        """
        upload = chunk.upload
        try:
            chunk.writer.finish()
            new_offset = upload.offset + received
            if complete == upload.key and upload.offset == 0 and new_offset == upload.length:
                return ChunkResult(new_offset, self._complete_whole(chunk, received_sha))
            with self._step(upload.id) as (_, row):
                if row.state != UploadState.RECEIVING or row.offset != upload.offset:
                    # Only a revocation can get here while we hold the lock.
                    raise ApiError(409, "upload_expired", "the upload is no longer open")
                now = utcnow()
                row.offset, row.updated_at, row.expires_at = new_offset, now, now + self.reservation
            if complete is None or new_offset != upload.length:
                return ChunkResult(new_offset, None)
            if complete != upload.key:
                raise ApiError(
                    422, "digest_mismatch", "digest differs from the upload's Idempotency-Key"
                )
            return ChunkResult(new_offset, self._verify_and_promote(chunk.lock, upload.id))
        finally:
            chunk.lock.release()

    def _complete_whole(self, chunk: Chunk, received_sha: str) -> BlobInfo:
        """The whole file arrived in one request from offset 0 (the common case for a photo).

        What was hashed while writing is exactly the stored bytes (cut to 0, all written,
        fsynced, and nobody else can touch them while we hold the lock), so no re-read, and the
        offset, blob and completion are one commit. A crash after promotion but before that
        commit leaves the upload receiving at offset 0: the device sends the file again.
        """
        upload = chunk.upload
        if received_sha != upload.sha:
            self._fail(upload, chunk.lock)
        self.store.promote(upload.id, upload.sha)
        with self._step(upload.id) as (session, row):
            if row.state != UploadState.RECEIVING or row.offset != upload.offset:
                raise ApiError(409, "upload_expired", "the upload is no longer open")
            row.offset, row.state, row.updated_at = upload.length, UploadState.COMPLETE, utcnow()
            record_blob(session, upload.tenant_id, upload.sha, upload.length)
        chunk.lock.forget()
        return upload.info()

    # --- completion ------------------------------------------------------------------------
    def complete(self, caller: Caller, upload_id: str, digest: str) -> BlobInfo:
        """POST /uploads/{id}/complete: re-hash the stored bytes and make the blob visible."""
        upload = self._read(caller, upload_id)
        if digest != upload.key:
            raise ApiError(
                422, "digest_mismatch", "digest differs from the upload's Idempotency-Key"
            )
        if upload.state == UploadState.COMPLETE:
            return upload.info()
        refused = self._refuse_completion(upload)
        if refused is not None:  # cheap answer, no lock file created for an upload that is over
            raise refused
        lock = self._lock(upload_id)
        try:
            return self._verify_and_promote(lock, upload_id)
        finally:
            lock.release()

    @staticmethod
    def _refuse_completion(upload: UploadView) -> ApiError | None:
        if upload.state == UploadState.FAILED:
            return ApiError(
                422, "digest_mismatch", "the stored bytes did not match; start a new upload"
            )
        if upload.state == UploadState.EXPIRED or upload.lapsed(utcnow()):
            return ApiError(409, "upload_expired", "the upload's reservation lapsed")
        return None

    def _verify_and_promote(self, lock: UploadLock, upload_id: str) -> BlobInfo:
        """receiving → verifying → complete | failed, under the upload's lock."""
        with self._step(upload_id) as (_, row):
            upload = UploadView.of(row)
            if upload.state not in LIVE_STATES:
                # Finished by the request that held the lock before us: the lock file we may
                # have just re-created goes again.
                lock.forget()
            if upload.state == UploadState.COMPLETE:
                return upload.info()
            refused = self._refuse_completion(upload)
            if refused is not None:
                raise refused
            if upload.state == UploadState.RECEIVING:
                if upload.offset != upload.length:
                    raise ApiError(
                        409,
                        "upload_incomplete",
                        "send the remaining bytes",
                        expected=upload.offset,
                    )
                row.state, row.updated_at = UploadState.VERIFYING, utcnow()
            # VERIFYING found here means an earlier attempt died mid-way (we hold the lock):
            # start the check again from the upload's own bytes.
        if self.store.hash_upload(upload.id, upload.length) != upload.sha:
            self._fail(upload, lock)
        self.store.promote(upload.id, upload.sha)
        with self._step(upload.id) as (session, row):
            if row.state != UploadState.VERIFYING:
                raise ApiError(409, "upload_expired", "the upload is no longer open")
            row.state, row.updated_at = UploadState.COMPLETE, utcnow()
            record_blob(session, upload.tenant_id, upload.sha, upload.length)
        lock.forget()
        return upload.info()

    def _fail(self, upload: UploadView, lock: UploadLock) -> NoReturn:
        """Digest mismatch: the upload becomes `failed` (committed first), then its bytes go.

        Committing before deleting is what keeps a concurrent request from ever seeing "all
        bytes acknowledged, no file" on a live upload.
        """
        with self._step(upload.id) as (_, row):
            if row.state in LIVE_STATES:
                row.state, row.updated_at = UploadState.FAILED, utcnow()
        self._close(upload, lock)
        raise ApiError(422, "digest_mismatch", "stored bytes do not match; start a new upload")

    # --- operator --------------------------------------------------------------------------
    def expire(self) -> ExpireReport:
        """Make lapsed reservations final and remove the files of uploads that are over.

        Uploads whose lock is held (a request is writing them right now) are left for next time.
        """
        now = utcnow()
        with self.db.writing() as session:
            lapsed = session.execute(
                update(Upload)
                .where(Upload.state.in_(LIVE_STATES), Upload.expires_at <= now)
                .values(state=UploadState.EXPIRED, updated_at=now)
            )
            expired = int(getattr(lapsed, "rowcount", 0))
        removed = busy = 0
        for upload_id in sorted(self.store.stored_upload_ids()):
            try:
                lock = self.store.lock_upload(upload_id)
            except UploadBusy:
                busy += 1
                continue
            try:
                with self.db.reading() as session:
                    row = session.get(Upload, upload_id)
                    state = UploadState(row.state) if row is not None else None
                if state not in LIVE_STATES:
                    self.store.discard_upload(upload_id)
                    lock.forget()
                    removed += 1
            finally:
                lock.release()
        return ExpireReport(expired=expired, files_removed=removed, busy=busy)


@dataclass(frozen=True)
class ExpireReport:
    expired: int  # reservations that lapsed and were made final now
    files_removed: int  # uploads whose leftover bytes/lock were removed
    busy: int  # uploads skipped because a request held them


@dataclass(frozen=True)
class UploadListing:
    upload_id: str
    tenant: str
    device_id: str
    digest: str
    length: int
    offset: int
    state: str
    reserved: bool  # counts against the tenant's quota now
    created_at: str
    expires_at: str


def list_uploads(session: Session, tenant_id: str | None, everything: bool) -> list[UploadListing]:
    """Live reservations (and, with `everything`, finished and final uploads too)."""
    now = utcnow()
    query = select(Upload, Tenant.name).join(Tenant, Tenant.id == Upload.tenant_id)
    if tenant_id is not None:
        query = query.where(Upload.tenant_id == tenant_id)
    if not everything:
        query = query.where(Upload.state.in_(LIVE_STATES))
    rows = session.execute(query.order_by(Upload.created_at)).all()
    return [
        UploadListing(
            upload_id=row.id,
            tenant=name,
            device_id=row.device_id,
            digest=row.idempotency_key,
            length=row.length,
            offset=row.offset,
            state=row.state,
            reserved=row.state in LIVE_STATES and row.expires_at > now,
            created_at=row.created_at.isoformat(),
            expires_at=row.expires_at.isoformat(),
        )
        for row, name in rows
    ]
