"""Reading the change log by cursor, scoped to what the caller may see, in byte-bounded pages."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from sync.protocol import Change, PullResponse
from sync.server import payload
from sync.server.db import current_sequence
from sync.server.deps import Caller
from sync.server.errors import ApiError
from sync.server.models import ChangeLog, Device, Escalation, Tenant

log = logging.getLogger(__name__)


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


def bounded_page(
    rows: Iterable[ChangeLog], limit: int, max_bytes: int
) -> tuple[list[Change], int | None, bool]:
    """Up to `limit` changes and about `max_bytes` of fields (always at least one row).

    `rows` is the query for `limit + 1` rows. Returns the changes, the sequence of the last row
    consumed (None if none) and whether rows may remain. A row that cannot be sent (stored before `changes` were checked on the way in: invalid
    Unicode, non-finite numbers, nesting the serialiser refuses) must not break the pull of the
    whole tenant: it is logged with its sequence and entity so an operator can repair it, and
    skipped; the cursor moves past it.
    """
    changes: list[Change] = []
    used = 0
    seen = 0
    last_seq: int | None = None
    for row in rows:
        seen += 1
        if len(changes) >= limit:
            return changes, last_seq, True
        problem = payload.json_problem(row.fields)
        if problem is None:
            size = payload.encoded_size(row.fields)
        else:
            log.error(
                "change %s (tenant %s, %s %s) cannot be sent and was skipped: %s",
                row.server_seq,
                row.tenant_id,
                row.entity,
                row.entity_id,
                problem,
            )
            last_seq = row.server_seq
            continue
        if changes and used + size > max_bytes:
            return changes, last_seq, True
        changes.append(to_change(row))
        used += size
        last_seq = row.server_seq
    # The query fetched limit + 1 rows: all consumed (some skipped) may still leave more behind.
    return changes, last_seq, seen > limit


def pull(session: Session, caller: Caller, cursor: int, limit: int, max_bytes: int) -> PullResponse:
    tenant = session.get_one(Tenant, caller.tenant_id)
    if cursor > current_sequence(session) or 0 < cursor < tenant.pruned_through_seq:
        # Newer than anything we know (a server restored from backup) or older than what we keep.
        raise ApiError(410, "resync_required", "pull again from cursor 0")
    rows = session.scalars(
        visible_changes(caller)
        .where(ChangeLog.server_seq > cursor)
        .order_by(ChangeLog.server_seq)
        .limit(limit + 1)
    )
    changes, last_seq, has_more = bounded_page(rows, limit, max_bytes)
    device = session.get_one(Device, caller.device_id)
    return PullResponse(
        changes=changes,
        next_cursor=last_seq if last_seq is not None else cursor,
        has_more=has_more,
        last_mutation_id=device.last_mutation_id,
    )
