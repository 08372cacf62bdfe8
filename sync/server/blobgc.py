"""Garbage collection of blobs that no live record references any more (`fairdesk-hq gc`).

A reference is a `BlobLink` whose record is not deleted. For each tenant's claim (`TenantBlob`) the
collector recounts the live references made by that tenant, so refcounts go down when records are
deleted and up when they are restored. A claim with none is stamped `unreferenced_since` the first
time it is seen so; after the grace period (`Settings.blob_gc_grace_days`) the claim goes (the
tenant's quota is freed) — unless a live upload of the same digest exists. An object whose last
claim went is deleted from the store, on the folder and on S3 alike.

Race with uploads: the row checks, the object deletion and the row deletion of one blob are one
transaction that holds a per-digest lock which `UploadService.create` also takes before it adds an
upload (PostgreSQL advisory lock; SQLite serialises writers anyway). So an upload either exists
before the collector looks (and the blob is kept) or starts after the object is gone (and its own
verified bytes are stored again).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from sync.server.blobstore import BlobStore
from sync.server.config import Settings
from sync.server.db import Database
from sync.server.models import Blob, BlobLink, Record, Tenant, TenantBlob, Upload, utcnow
from sync.server.uploads import LIVE_STATES, lock_digest


@dataclass
class GcReport:
    dry_run: bool
    grace_days: float
    objects_deleted: list[str] = field(default_factory=list)
    bytes_deleted: int = 0
    claims_released: list[dict[str, Any]] = field(default_factory=list)
    newly_unreferenced: int = 0  # claims stamped now; their grace period starts today
    kept_live_upload: list[str] = field(default_factory=list)
    kept_in_grace: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _live_refs(session: Session, tenant_id: str, sha: str) -> int:
    """References `tenant_id` made to `sha` from records that are not deleted and whose case (if
    any) is not deleted: the evidence of a deleted case references nothing any more."""
    linker = func.coalesce(BlobLink.linked_by_tenant_id, BlobLink.tenant_id)
    case = aliased(Record)
    return int(
        session.scalars(
            select(func.count())
            .select_from(BlobLink)
            .join(
                Record,
                and_(
                    Record.tenant_id == BlobLink.tenant_id,
                    Record.entity == BlobLink.entity,
                    Record.entity_id == BlobLink.entity_id,
                ),
            )
            .outerjoin(
                case,
                and_(
                    case.tenant_id == BlobLink.tenant_id,
                    case.entity == "case",
                    case.entity_id == BlobLink.case_id,
                ),
            )
            .where(
                linker == tenant_id,
                BlobLink.sha256 == sha,
                Record.deleted.is_(False),
                or_(case.deleted.is_(None), case.deleted.is_(False)),
            )
        ).one()
    )


def _live_upload(session: Session, sha: str) -> bool:
    return (
        session.scalars(
            select(Upload.id).where(
                Upload.idempotency_key == f"sha256:{sha}", Upload.state.in_(LIVE_STATES)
            )
        ).first()
        is not None
    )


def collect(db: Database, store: BlobStore, settings: Settings, dry_run: bool) -> GcReport:
    now = utcnow()
    grace = timedelta(days=settings.blob_gc_grace_days)
    report = GcReport(dry_run=dry_run, grace_days=settings.blob_gc_grace_days)
    with db.reading() as session:
        shas = list(session.scalars(select(Blob.sha256).order_by(Blob.sha256)))
    for sha in shas:
        try:
            with db.writing() as session:
                lock_digest(session, sha)
                _collect_one(session, store, sha, now, grace, report)
                if dry_run:
                    raise _DryRun  # roll the transaction back: nothing is written
        except _DryRun:
            pass
    return report


class _DryRun(Exception):
    pass


def _collect_one(
    session: Session,
    store: BlobStore,
    sha: str,
    now: datetime,
    grace: timedelta,
    report: GcReport,
) -> None:
    blob = session.get(Blob, sha, with_for_update=True)
    if blob is None:
        return
    claims = list(
        session.scalars(select(TenantBlob).where(TenantBlob.sha256 == sha).with_for_update())
    )
    live_upload = _live_upload(session, sha)
    released = 0
    for claim in claims:
        refs = _live_refs(session, claim.tenant_id, sha)
        claim.refcount = refs
        if refs > 0:
            claim.unreferenced_since = None
            continue
        if claim.unreferenced_since is None:
            claim.unreferenced_since = now
            report.newly_unreferenced += 1
            continue
        # Both the loss of the last reference and the upload itself must be older than grace.
        if claim.unreferenced_since > now - grace or claim.created_at > now - grace:
            report.kept_in_grace += 1
            continue
        if live_upload:  # the same bytes are being uploaded again right now
            if sha not in report.kept_live_upload:
                report.kept_live_upload.append(sha)
            continue
        report.claims_released.append(
            {"tenant_id": claim.tenant_id, "sha256": sha, "size": claim.size}
        )
        session.delete(claim)
        session.execute(
            update(Tenant)
            .where(Tenant.id == claim.tenant_id)
            .values(stored_bytes=Tenant.stored_bytes - claim.size)
        )
        released += 1
    remaining = len(claims) - released
    if blob.refcount != remaining:  # the number of tenants holding it, recounted
        session.execute(update(Blob).where(Blob.sha256 == sha).values(refcount=remaining))
    if remaining > 0 or (not claims and blob.created_at > now - grace):
        return
    if live_upload:
        if sha not in report.kept_live_upload:
            report.kept_live_upload.append(sha)
        return
    report.objects_deleted.append(sha)
    report.bytes_deleted += blob.size
    session.flush()
    session.execute(delete(Blob).where(Blob.sha256 == sha))
    if report.dry_run:
        return
    session.flush()
    # Inside the transaction, under the digest lock: see the module docstring.
    store.delete_object(sha)
