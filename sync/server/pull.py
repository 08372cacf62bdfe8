"""Reading the change log by cursor, scoped to what the caller may see."""

from __future__ import annotations

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from sync.protocol import Change, PullResponse
from sync.server.db import current_sequence
from sync.server.deps import Caller
from sync.server.errors import ApiError
from sync.server.models import ChangeLog, Device, Escalation, Tenant


def visible_changes(caller: Caller) -> Select[ChangeLog]:
    """Company devices see their tenant's log; a guidance centre sees escalated cases only."""
    query = select(ChangeLog)
    if caller.is_guidance:
        return query.join(
            Escalation,
            and_(
                Escalation.tenant_id == ChangeLog.tenant_id,
                Escalation.case_id == ChangeLog.case_id,
                # Older rows were re-published at escalation time; skip the originals.
                ChangeLog.server_seq >= Escalation.server_seq,
            ),
        ).where(Escalation.guidance_tenant_id == caller.tenant_id)
    return query.where(ChangeLog.tenant_id == caller.tenant_id)


def to_change(row: ChangeLog) -> Change:
    return Change(
        server_seq=row.server_seq,
        entity=row.entity,
        entity_id=row.entity_id,
        case_id=row.case_id,
        version=row.version,
        fields=row.fields,
        deleted=row.deleted,
        device_id=row.device_id,
        mutation_id=row.mutation_id,
    )


def pull(session: Session, caller: Caller, cursor: int, limit: int) -> PullResponse:
    tenant = session.get_one(Tenant, caller.tenant_id)
    if cursor > current_sequence(session) or 0 < cursor < tenant.pruned_through_seq:
        # Newer than anything we know (a server restored from backup) or older than what we keep.
        raise ApiError(410, "resync_required", "pull again from cursor 0")
    rows = list(
        session.scalars(
            visible_changes(caller)
            .where(ChangeLog.server_seq > cursor)
            .order_by(ChangeLog.server_seq)
            .limit(limit + 1)
        )
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    device = session.get_one(Device, caller.device_id)
    return PullResponse(
        changes=[to_change(row) for row in rows],
        next_cursor=rows[-1].server_seq if rows else cursor,
        has_more=has_more,
        last_mutation_id=device.last_mutation_id,
    )
