"""Reading the change log by cursor, scoped to what the caller may see, in byte-bounded pages.

After ``fairdesk-hq prune`` the log below the tenant's prune mark keeps only the newest row of
each record, so walking it from cursor 0 still ends at the current state: that walk is a paged
snapshot. Its pages say ``snapshot_until`` (the prune mark, a stable high-water mark for the
walk) and the device sends it back, so its cursors below the mark are not taken for a cursor
from before the prune (410). In that region a record's surviving row may come after rows that
point at it (a case edited after its notes were written), so each page carries the newest row
of every parent its rows refer to first (case, fair, original evidence item), and the device
never meets a child before its parent. The parent's row comes again at its own place later;
the device skips it there (same version).

A pull also checks HQ's epoch (`sync.server.epoch`): see :class:`Restored`.

A device that asks with ``echoes=lean`` gets its own changes without their fields (`Change.echo`):
it wrote them, and takes only HQ's version from them.

Every tenant reads its own stream (`ChangeLog.stream_id`, numbered by its own sequence): a
company its rows, a guidance centre the copies of its escalated cases' rows. Cursors,
`snapshot_until`, the epoch and every 410 depend only on the caller's own stream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sync.protocol import CONFLICT_ENTITY, Change, PullResponse
from sync.server import epoch, payload
from sync.server.db import stream_head
from sync.server.deps import Caller
from sync.server.errors import ApiError
from sync.server.models import ChangeLog, Device, Tenant

log = logging.getLogger(__name__)

# Fields that point at another synced record: (field, entity of the parent).
PARENT_FIELDS = (("fair_id", "fair"), ("derived_from", "evidence_item"))


class Restored(Exception):
    """The caller knows more than HQ holds (or another epoch): HQ was restored from a backup.

    ``proof`` is True when the request itself proves it (the epoch must then be replaced);
    False when the device merely shows an older epoch (already replaced).
    """

    def __init__(self, seen_epoch: str, last_mutation_id: int, proof: bool) -> None:
        super().__init__("hq_restored")
        self.seen_epoch = seen_epoch
        self.last_mutation_id = last_mutation_id
        self.proof = proof


def visible_changes(caller: Caller) -> Select[ChangeLog]:
    """The caller's stream: a company's own rows; for a guidance centre, the copies of the rows
    of cases escalated to it (made at escalation and with every later write)."""
    return select(ChangeLog).where(ChangeLog.stream_id == caller.tenant_id)


def to_change(row: ChangeLog, *, echo: bool = False) -> Change:
    return Change(
        server_seq=row.server_seq,
        entity=row.entity,
        entity_id=row.entity_id,
        case_id=row.case_id,
        version=row.version,
        fields={} if echo else row.fields,
        deleted=row.deleted,
        device_id=row.device_id,
        mutation_id=row.mutation_id,
        echo=echo,
    )


def bounded_page(
    rows: Iterable[ChangeLog], limit: int, max_bytes: int, *, echoes_of: str | None = None
) -> tuple[list[Change], int | None, bool]:
    """Up to `limit` changes and about `max_bytes` of fields (always at least one row).

    `rows` is the query for `limit + 1` rows. Returns the changes, the sequence of the last row
    consumed (None if none) and whether rows may remain. A row that cannot be sent (stored before `changes` were checked on the way in: invalid
    Unicode, non-finite numbers, nesting the serialiser refuses) must not break the pull of the
    whole tenant: it is logged with its sequence and entity so an operator can repair it, and
    skipped; the cursor moves past it.

    With `echoes_of` (a device id), that device's own changes go without their fields (see
    `Change.echo`): a week of its notes comes back as versions, not as the notes again.
    """
    changes: list[Change] = []
    used = 0
    seen = 0
    last_seq: int | None = None
    for row in rows:
        seen += 1
        if len(changes) >= limit:
            return changes, last_seq, True
        if (
            echoes_of is not None
            and row.device_id == echoes_of
            and row.mutation_id is not None
            and row.entity != CONFLICT_ENTITY
        ):
            changes.append(to_change(row, echo=True))
            last_seq = row.server_seq
            continue
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


def _parents_ahead(session: Session, caller: Caller, rows: list[Change], end: int) -> list[Change]:
    """Newest rows of the parents `rows` refer to that come after the page (parents first)."""
    if not rows:
        return []
    have = {(r.entity, r.entity_id) for r in rows}
    found: list[Change] = []
    wanted = _parent_refs(rows)
    for _depth in range(3):  # evidence -> case -> fair
        wanted -= have
        if not wanted:
            break
        by_entity: dict[str, set[str]] = {}
        for entity, entity_id in wanted:
            by_entity.setdefault(entity, set()).add(entity_id)
        newest: dict[tuple[str, str], ChangeLog] = {}
        for entity, ids in by_entity.items():
            for row in session.scalars(
                visible_changes(caller).where(
                    ChangeLog.entity == entity,
                    ChangeLog.entity_id.in_(sorted(ids)),
                    ChangeLog.server_seq > end,
                )
            ):
                key = (row.entity, row.entity_id)
                if key not in newest or row.server_seq > newest[key].server_seq:
                    newest[key] = row
        have |= wanted
        layer = [to_change(r) for r in sorted(newest.values(), key=lambda r: r.server_seq)]
        found = layer + found  # a parent's own parents go before it
        wanted = _parent_refs(layer)
    return found


def _parent_refs(rows: list[Change]) -> set[tuple[str, str]]:
    refs: set[tuple[str, str]] = set()
    for row in rows:
        if row.case_id and row.entity != "case":
            refs.add(("case", row.case_id))
        fields: dict[str, Any] = row.fields or {}
        for name, entity in PARENT_FIELDS:
            value = fields.get(name)
            if isinstance(value, str) and value:
                refs.add((entity, value))
    return refs


def pull(
    session: Session,
    caller: Caller,
    cursor: int,
    limit: int,
    max_bytes: int,
    *,
    snapshot: int = 0,
    seen_epoch: str = "",
    acked: int | None = None,
    lean_echoes: bool = False,
) -> PullResponse:
    tenant = session.get_one(Tenant, caller.tenant_id)
    device = session.get_one(Device, caller.device_id)
    now_epoch = epoch.current(session, caller.tenant_id)
    if seen_epoch and now_epoch and seen_epoch != now_epoch:
        raise Restored(now_epoch, device.last_mutation_id, proof=False)
    if cursor > stream_head(session, caller.tenant_id) or (
        acked is not None and acked > device.last_mutation_id
    ):
        # The device saw changes or acknowledgements HQ no longer holds: restored from backup.
        raise Restored(now_epoch, device.last_mutation_id, proof=True)
    mark = tenant.pruned_through_seq
    walking = snapshot > 0 and cursor < snapshot
    if 0 < cursor < mark and not walking:
        raise ApiError(410, "resync_required", "pull again from cursor 0")
    rows = session.scalars(
        visible_changes(caller)
        .where(ChangeLog.server_seq > cursor)
        .order_by(ChangeLog.server_seq)
        .limit(limit + 1)
    )
    echoes_of = caller.device_id if lean_echoes else None
    changes, last_seq, has_more = bounded_page(rows, limit, max_bytes, echoes_of=echoes_of)
    next_cursor = last_seq if last_seq is not None else cursor
    in_snapshot = cursor < mark
    ahead = _parents_ahead(session, caller, changes, next_cursor) if in_snapshot else []
    return PullResponse(
        changes=[*ahead, *changes],
        next_cursor=next_cursor,
        has_more=has_more,
        last_mutation_id=device.last_mutation_id,
        snapshot_until=max(mark, snapshot) if in_snapshot and next_cursor < mark else 0,
        epoch=now_epoch,
    )
