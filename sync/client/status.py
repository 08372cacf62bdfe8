"""What the Sync page, the status-bar indicator and ``fairdesk sync --status`` show."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from fairdesk.enums import UNSENT_STATES, OutboxState
from fairdesk.feedmodel import SyncFeed
from fairdesk.model import OutboxEntry, SyncState
from fairdesk.store import Store
from fairdesk.syncmodel import BlobQueueEntry, SyncAccount, SyncConflict


@dataclass(frozen=True)
class SyncStatus:
    enrolled: bool
    server_url: str
    role: str
    tenant: str
    outbox: dict[str, int] = field(default_factory=dict)
    uploads_pending: int = 0
    uploads_failed: int = 0
    upload_bytes_pending: int = 0
    open_conflicts: int = 0
    last_success_at: datetime | None = None
    last_error: str = ""
    # The last unresolved problem with HQ's alert or reference feed ({"reference": "..."}).
    feed_problems: dict[str, str] = field(default_factory=dict)

    @property
    def unsent(self) -> int:
        return sum(self.outbox.get(state, 0) for state in UNSENT_STATES)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.outbox.get(OutboxState.REJECTED)
            or self.open_conflicts
            or self.uploads_failed
            or self.feed_problems
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_success_at"] = self.last_success_at.isoformat() if self.last_success_at else None
        return data


def read_status(store: Store) -> SyncStatus:
    with store.read() as session:
        account = session.get(SyncAccount, 1)
        base = account.mutation_base if account else 0
        counts: dict[str, int] = dict.fromkeys(OutboxState, 0)
        for state, count in session.execute(
            select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)
        ):
            counts[state] = counts.get(state, 0) + int(count)
        if account is not None:
            # Unsent entries from before the enrolment belong to an earlier server identity.
            stale = session.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.state.in_(UNSENT_STATES), OutboxEntry.mutation_id <= base)
            )
            counts[OutboxState.WAITING] -= int(stale or 0)
        uploads: dict[str, tuple[int, int]] = {}
        for state, count, size, offset in session.execute(
            select(
                BlobQueueEntry.state,
                func.count(),
                func.coalesce(func.sum(BlobQueueEntry.size), 0),
                func.coalesce(func.sum(BlobQueueEntry.offset), 0),
            ).group_by(BlobQueueEntry.state)
        ):
            uploads[state] = (int(count), int(size) - int(offset))
        pending = [uploads.get(s, (0, 0)) for s in ("waiting", "uploading")]
        conflicts = session.scalar(
            select(func.count()).select_from(SyncConflict).where(SyncConflict.resolved.is_(False))
        )
        state_row = session.get(SyncState, 1)
        feeds = {f.name: f.last_error for f in session.scalars(select(SyncFeed)) if f.last_error}
        return SyncStatus(
            enrolled=account is not None,
            server_url=account.server_url if account else "",
            role=account.role if account else "",
            tenant=account.tenant_name if account else "",
            outbox=counts,
            uploads_pending=sum(c for c, _ in pending),
            uploads_failed=uploads.get("failed", (0, 0))[0],
            upload_bytes_pending=sum(b for _, b in pending),
            open_conflicts=int(conflicts or 0),
            last_success_at=state_row.last_success_at if state_row else None,
            last_error=account.last_error if account else "",
            feed_problems=feeds,
        )


def outbox_rows(store: Store, limit: int = 2000) -> list[dict[str, Any]]:
    """Newest first: what the Sync page lists (state and HQ's reason)."""
    with store.read() as session:
        rows = session.scalars(
            select(OutboxEntry).order_by(OutboxEntry.mutation_id.desc()).limit(limit)
        )
        return [
            {
                "mutation_id": r.mutation_id,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "case_id": r.case_id,
                "op": r.op,
                "state": r.state,
                "reason": r.last_error,
                "attempts": r.attempts,
                "client_time": r.client_time,
            }
            for r in rows
        ]


def upload_rows(store: Store) -> list[dict[str, Any]]:
    with store.read() as session:
        rows = session.scalars(
            select(BlobQueueEntry).order_by(BlobQueueEntry.state.desc(), BlobQueueEntry.created_at)
        )
        return [
            {
                "sha256": r.sha256,
                "name": r.name,
                "size": r.size,
                "offset": r.offset,
                "state": r.state,
                "reason": r.last_error,
            }
            for r in rows
        ]
