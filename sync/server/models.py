"""The server schema as SQLAlchemy 2 typed models (Alembic migrations in `migrations/` match it).

Ids are UUID strings. Timestamps are timezone-aware UTC on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """DateTime that always comes back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


ID = String(36)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        int: Integer,
    }


class Tenant(Base):
    __tablename__ = "tenants"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # company | guidance
    quota_bytes: Mapped[int] = mapped_column(BigInteger)
    # Change-log rows at or below this sequence may have been pruned: older cursors get 410.
    pruned_through_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The sizes of the tenant's blob claims (`tenant_blobs`) added up, kept in the transactions
    # that add or release a claim (0012sb): the quota check at every upload reads this instead
    # of summing every claim (~75 ms per photo for a tenant holding 100,000 photos, on SQLite
    # under the one write lock).
    stored_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnrollCode(Base):
    __tablename__ = "enroll_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    device_id: Mapped[str | None] = mapped_column(ID)


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Highest mutation id applied for this device; written in the same transaction as the push.
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0)


class DeviceToken(Base):
    __tablename__ = "device_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    # access | refresh | retired (a refresh token replaced by a re-issue: presenting it is reuse)
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Rotation (migration 0004h): the refresh token this one replaced, and when it was spent.
    parent_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Counter(Base):
    """Named HQ-wide numbers: `server_seq` numbers operator publications (alerts, reference
    data); `epoch` is the pre-0009s epoch, kept for downgrades. Not the change log's sequence."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class TenantSequence(Base):
    """One change-log stream per tenant (0009s): its sequence and its epoch.

    A push locks the row of every stream it writes to (`sync.server.db.lock_streams`), so
    `server_seq` order equals commit order within a stream while tenants never wait for each
    other, and nothing a device sees is numbered by another tenant's activity.
    """

    __tablename__ = "tenant_sequences"
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    # This tenant's view of HQ's epoch (`sync.server.epoch`).
    epoch: Mapped[int] = mapped_column(BigInteger)
    # The stream's changes up to here are in the case summary (0011ss; `summary.catch_up`).
    summary_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Record(Base):
    """Current state of one synced row, keyed per tenant so ids never collide across tenants."""

    __tablename__ = "records"
    __table_args__ = (Index("ix_records_case", "tenant_id", "case_id"),)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str | None] = mapped_column(ID)
    version: Mapped[int] = mapped_column(BigInteger)
    fields: Mapped[dict[str, Any]]
    # Version at which each field last changed: the basis of field-by-field conflict detection.
    field_versions: Mapped[dict[str, Any]]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_seq: Mapped[int] = mapped_column(BigInteger)


class ChangeLog(Base):
    """The change log: one stream per reading tenant (`stream_id`), numbered by its own sequence.

    A row of tenant T is written to T's stream; a row of a case escalated to a guidance centre
    is also copied, identical but for `stream_id` and `server_seq`, to the centre's stream. The
    history of a record is therefore the rows with ``stream_id == tenant_id``.
    """

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_tenant_seq", "tenant_id", "server_seq"),
        Index("ix_changes_case_seq", "tenant_id", "case_id", "server_seq"),
        Index("ix_changes_row", "tenant_id", "entity", "entity_id", "version"),
    )
    stream_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    server_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(ID)
    case_id: Mapped[str | None] = mapped_column(ID)
    version: Mapped[int] = mapped_column(BigInteger)
    fields: Mapped[dict[str, Any]]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    device_id: Mapped[str | None] = mapped_column(ID)
    mutation_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MutationLog(Base):
    """Outcome of every mutation a device pushed, so a retried push returns the stored result."""

    __tablename__ = "mutation_log"
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int | None] = mapped_column(BigInteger)
    server_seq: Mapped[int | None] = mapped_column(BigInteger)
    conflict_id: Mapped[str | None] = mapped_column(ID)
    reason: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the mutation as received (0004h): the same id with other content is a 422.
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)


class Conflict(Base):
    __tablename__ = "conflicts"
    __table_args__ = (Index("ix_conflicts_case", "tenant_id", "case_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    case_id: Mapped[str | None] = mapped_column(ID)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(ID)
    # {field: {"base": ..., "server": ..., "client": ...}}; "_deleted" for edit-vs-delete.
    fields: Mapped[dict[str, Any]]
    client_op: Mapped[str] = mapped_column(String(8))
    base_version: Mapped[int | None] = mapped_column(BigInteger)
    server_version: Mapped[int] = mapped_column(BigInteger)
    device_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str | None] = mapped_column(ID)
    mutation_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_device: Mapped[str | None] = mapped_column(ID)


class Escalation(Base):
    """A company case shared with a guidance centre, which sees nothing else of that company."""

    __tablename__ = "escalations"
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, primary_key=True)
    guidance_tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    escalated_at: Mapped[datetime] = mapped_column(default=utcnow)
    server_seq: Mapped[int] = mapped_column(BigInteger)


class Blob(Base):
    """A verified object in the blob store; refcount = number of tenants holding it."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    refcount: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TenantBlob(Base):
    """A tenant's claim on a verified blob; refcount = records of the tenant that reference it."""

    __tablename__ = "tenant_blobs"
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    refcount: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by `fairdesk-hq gc` when it first finds no live reference (0008g); the grace period
    # runs from here. Cleared when a reference comes back.
    unreferenced_since: Mapped[datetime | None] = mapped_column(default=None)


class BlobLink(Base):
    """A record's reference to a blob (may exist before the upload: shown as pending)."""

    __tablename__ = "blob_links"
    __table_args__ = (Index("ix_blob_links_sha", "tenant_id", "sha256"),)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ID, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str | None] = mapped_column(ID)
    # Tenant whose device pushed the reference (0004h; None for older rows = `tenant_id`). The
    # link shows the blob to others only if that tenant itself holds it (its own upload).
    linked_by_tenant_id: Mapped[str | None] = mapped_column(ID, default=None)


class Upload(Base):
    """One device's resumable upload; `state` follows `sync.server.uploads.UploadState`."""

    __tablename__ = "uploads"
    __table_args__ = (
        UniqueConstraint("tenant_id", "device_id", "idempotency_key"),
        Index("ix_uploads_tenant_state", "tenant_id", "state"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    idempotency_key: Mapped[str] = mapped_column(String(71))
    length: Mapped[int] = mapped_column(BigInteger)
    # Bytes acknowledged to the device; only advanced after the chunk is fsynced.
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default="receiving")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The reservation (its length counts against the quota) lapses here unless bytes arrive.
    expires_at: Mapped[datetime] = mapped_column()


class ReferenceEntry(Base):
    __tablename__ = "reference_items"
    __table_args__ = (UniqueConstraint("kind", "key", "tenant_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"))  # None: everyone
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskAlert(Base):
    __tablename__ = "alerts"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"))  # None: everyone
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    fair: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    # title_zh, body_zh, countries, fairs, goods, valid_from, valid_until (migration 0002).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The guidance centre that published it to `tenant_id` (0010cs); None: the company or HQ.
    publisher_tenant_id: Mapped[str | None] = mapped_column(ID, default=None)


class AlertAck(Base):
    """A device user's acknowledgement of an alert (one per device and alert)."""

    __tablename__ = "alert_acks"
    __table_args__ = (UniqueConstraint("device_id", "alert_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    user_name: Mapped[str] = mapped_column(String(200), default="")
    acknowledged_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    mutation_id: Mapped[int] = mapped_column(BigInteger)


class TsaToken(Base):
    """Every RFC 3161 token HQ issued as a time-stamping authority (``sync.server.tsa``)."""

    __tablename__ = "tsa_tokens"
    serial: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    hash_algorithm: Mapped[str] = mapped_column(String(16))
    imprint: Mapped[str] = mapped_column(String(128))  # hex of the hashed message
    gen_time: Mapped[datetime] = mapped_column()
    reply_sha256: Mapped[str] = mapped_column(String(64))


class CaseSummary(Base):
    """One row per live case with what the case list shows (0010cs; see `sync.server.summary`).

    Written only by `summary.refresh`: caught up before it is read, and the migration's backfill.
    `id` is an INTEGER PRIMARY KEY so that on SQLite it is the rowid the FTS5 index refers to.
    """

    __tablename__ = "case_summary"
    __table_args__ = (UniqueConstraint("tenant_id", "case_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    case_id: Mapped[str] = mapped_column(ID)
    number: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    trigger: Mapped[str | None] = mapped_column(Text)
    direction: Mapped[str | None] = mapped_column(Text)
    # The situation in force as a key ("respondent/ex_parte_order_served/DE"), see
    # `sync.server.situation`; the trigger rules R1-R5 read, and the country of the R6 floor.
    situation: Mapped[str] = mapped_column(Text)
    rule_trigger: Mapped[str | None] = mapped_column(Text)
    floor_country: Mapped[str | None] = mapped_column(Text)
    level_override: Mapped[str | None] = mapped_column(Text)
    fair_id: Mapped[str | None] = mapped_column(Text)
    fair_name: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    fair_time_zone: Mapped[str | None] = mapped_column(Text)
    # The earliest open deadline as a UTC instant (devices send various offsets).
    next_due_at: Mapped[datetime | None]
    # The newest change a device made to the case (HQ-side changes do not count).
    last_sync_at: Mapped[datetime | None]
    last_device_id: Mapped[str | None] = mapped_column(ID)
    search_text: Mapped[str] = mapped_column(Text)
