"""Device-side sync tables beyond ``outbox`` and ``sync_state`` (migration 0004).

- ``sync_account``: who this installation is on the HQ server (device id, tenant, role) and
  ``mutation_base``: outbox ids are numbered for life, but a (re-)enrolled device starts at
  mutation 1 on the server, so the wire id of an outbox entry is ``mutation_id - mutation_base``.
- ``blob_queue``: evidence bytes waiting to go to HQ (resumable; the server keeps the offset).
- ``sync_conflict``: conflicts the server recorded (from push results and pulled conflict
  changes); a case with an open one shows "needs review" on every node.

The domain core owns these tables (so migrations and ``case show`` can read them) but never
talks to the network: ``sync.client`` does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fairdesk.model import Base


class SyncAccount(Base):
    __tablename__ = "sync_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    server_url: Mapped[str] = mapped_column(String(500))
    device_id: Mapped[str] = mapped_column(String(64))  # the server's id for this installation
    tenant_id: Mapped[str] = mapped_column(String(64))
    tenant_name: Mapped[str] = mapped_column(String(200), default="")
    tenant_kind: Mapped[str] = mapped_column(String(16), default="company")
    role: Mapped[str] = mapped_column(String(16), default="responder")
    mutation_base: Mapped[int] = mapped_column(BigInteger, default=0)
    blobs_scanned_through: Mapped[int] = mapped_column(BigInteger, default=0)
    enrolled_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # High-water mark of the paged snapshot being pulled after HQ pruned its log (0: none);
    # kept with the pull cursor in the same transaction (sync/client/pull.py).
    snapshot_until: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # HQ's epoch id as last seen; HQ answers 410 to another one (restored from a backup).
    hq_epoch: Mapped[str] = mapped_column(String(64), default="", server_default="")


class BlobQueueEntry(Base):
    __tablename__ = "blob_queue"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text, default="")  # shown on the Sync page
    # waiting | uploading | done | failed (local bytes missing or damaged: never sent as valid)
    state: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    upload_id: Mapped[str] = mapped_column(String(64), default="")
    offset: Mapped[int] = mapped_column(BigInteger, default=0)  # last offset the server confirmed
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0)  # incl. resent, for figures
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncConflict(Base):
    __tablename__ = "sync_conflict"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the server's conflict id
    case_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(36))
    # {field: {"base": ..., "server": ..., "client": ...}}; "_deleted" for edit vs delete
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_op: Mapped[str] = mapped_column(String(10), default="update")
    base_version: Mapped[int] = mapped_column(BigInteger, default=0)
    server_version: Mapped[int] = mapped_column(BigInteger, default=0)
    device_id: Mapped[str] = mapped_column(String(64), default="")  # who made the losing edit
    user_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[str] = mapped_column(String(40), default="")  # server time, ISO
    resolved: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    resolved_by_device: Mapped[str] = mapped_column(String(64), default="")
    # Outbox entry of a resolution made here and not yet confirmed by HQ.
    resolution_mutation_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


def open_conflicts(session: Session, case_id: str | None = None) -> list[SyncConflict]:
    query = select(SyncConflict).where(SyncConflict.resolved.is_(False))
    if case_id is not None:
        query = query.where(SyncConflict.case_id == case_id)
    return list(session.scalars(query.order_by(SyncConflict.created_at, SyncConflict.id)))


def conflict_json(conflict: SyncConflict) -> dict[str, Any]:
    return {
        "id": conflict.id,
        "case_id": conflict.case_id,
        "entity": conflict.entity,
        "entity_id": conflict.entity_id,
        "fields": conflict.fields,
        "client_op": conflict.client_op,
        "base_version": conflict.base_version,
        "server_version": conflict.server_version,
        "device_id": conflict.device_id,
        "user_id": conflict.user_id,
        "created_at": conflict.created_at,
        "resolved": conflict.resolved,
        "resolution_pending": conflict.resolution_mutation_id is not None,
    }
