"""Pushing the outbox: in order, in batches, idempotent, every outcome visible.

Entries go waiting → sending (committed *before* the request, so a crash leaves them
"sending" and they are simply sent again: HQ answers ``duplicate``) → sent | rejected(reason) |
conflict. A rejected entry stays on the Sync page with HQ's reason and the queue moves on. A 409
gap (HQ lost mutations it had acknowledged, e.g. restored from a backup) re-queues from the id
HQ expects. A 422 ``mutation_id_reused`` (HQ holds other content under an id this device sent
again, e.g. after the device was restored from an old backup) rejects that one entry with a
reason the user sees, and the rest of the outbox goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update

from fairdesk.enums import UNSENT_STATES, OutboxState
from fairdesk.i18n import _
from fairdesk.model import OutboxEntry, SyncState
from fairdesk.store import Store
from fairdesk.syncmodel import SyncAccount
from sync.client import conflicts
from sync.client.apply import WIRE_RENAMES
from sync.client.errors import ServerError
from sync.client.transport import Transport
from sync.protocol import MAX_MUTATIONS_PER_PUSH, MutationResult, PushResponse

# The server caps request bodies (4 MiB by default); stay well under it.
MAX_BATCH_BYTES = 2 * 1024 * 1024


@dataclass
class PushStats:
    sent: int = 0
    conflicts: int = 0
    rejected: int = 0
    batches: int = 0


def to_wire(entry: OutboxEntry, base: int, resolves: str | None) -> dict[str, Any]:
    changes = entry.changes
    if changes.get("case_id") == "":
        # A device-level record (custody of a travel-mode wipe, ...): no case on the wire.
        changes = {**changes, "case_id": None}
    renames = WIRE_RENAMES.get(entry.entity)
    if renames:
        changes = {renames.get(k, k): v for k, v in changes.items()}
    return {
        "mutation_id": entry.mutation_id - base,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "op": entry.op,
        "base_version": entry.base_version,
        "changes": changes,
        "blob_refs": list(entry.blob_refs or []),
        "client_time": entry.client_time.isoformat(),
        "resolves_conflict_id": resolves,
    }


def unsent_count(store: Store) -> int:
    with store.read() as session:
        account = session.get(SyncAccount, 1)
        base = account.mutation_base if account else 0
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.state.in_(UNSENT_STATES), OutboxEntry.mutation_id > base)
            )
            or 0
        )


def _next_batch(store: Store, base: int) -> tuple[list[dict[str, Any]], list[int]]:
    """Mark the next batch "sending" (committed) and return it in wire form."""
    with store.write() as session:
        entries = list(
            session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.state.in_(UNSENT_STATES), OutboxEntry.mutation_id > base)
                .order_by(OutboxEntry.mutation_id)
                .limit(MAX_MUTATIONS_PER_PUSH)
            )
        )
        if not entries:
            return [], []
        resolves = conflicts.resolution_map(session, [e.mutation_id for e in entries])
        wire: list[dict[str, Any]] = []
        size = 0
        for entry in entries:
            item = to_wire(entry, base, resolves.get(entry.mutation_id))
            item_size = len(json.dumps(item, separators=(",", ":"), ensure_ascii=False))
            if wire and size + item_size > MAX_BATCH_BYTES:
                break
            size += item_size
            wire.append(item)
        ids = [int(w["mutation_id"]) + base for w in wire]
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.mutation_id.in_(ids))
            .values(state=OutboxState.SENDING, attempts=OutboxEntry.attempts + 1)
            # The loaded entries are not used again: matching the UPDATE against each of them
            # in Python cost more than loading them.
            .execution_options(synchronize_session=False)
        )
        return wire, ids


def _record_results(
    store: Store, base: int, device_id: str, body: PushResponse, stats: PushStats
) -> None:
    """Store each outcome; the common case (sent) as one UPDATE for the whole batch.

    Loading and flushing 500 ORM rows one by one was most of a push's client time; only the
    rare rejected/conflict outcomes need the row (reason, conflict record).
    """
    sent: list[int] = []
    acked: list[dict[str, int]] = []  # HQ's row version after each applied mutation
    others: dict[int, tuple[MutationResult, OutboxState, str]] = {}
    for result in body.results:
        state, reason = _outcome(result)
        if state == OutboxState.SENT:
            sent.append(result.mutation_id + base)
            if result.version:
                acked.append({"mid": result.mutation_id + base, "v": result.version})
        else:
            others[result.mutation_id + base] = (result, state, reason)
    with store.write() as session:
        touched: set[str] = set()
        for chunk in _chunks(sent, 900):  # SQLite's bound-parameter limit
            done = session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.mutation_id.in_(chunk))
                .values(state=OutboxState.SENT, last_error="")
            )
            stats.sent += int(getattr(done, "rowcount", 0) or 0)
        if acked:
            table = OutboxEntry.metadata.tables[OutboxEntry.__tablename__]
            session.connection().execute(
                update(table)
                .where(table.c.mutation_id == bindparam("mid"))
                .values(acked_version=bindparam("v")),
                acked,
            )
        entries: list[OutboxEntry] = (
            list(
                session.scalars(
                    select(OutboxEntry).where(OutboxEntry.mutation_id.in_(list(others)))
                )
            )
            if others
            else []
        )
        for entry in entries:
            result, state, reason = others[entry.mutation_id]
            entry.state = state
            entry.last_error = reason
            if state == OutboxState.CONFLICT and result.conflict_id:
                conflicts.store_from_push(
                    session,
                    entry,
                    result.conflict_id,
                    result.server_value,
                    result.version,
                    device_id,
                )
                if entry.case_id:
                    touched.add(entry.case_id)
                stats.conflicts += 1
            elif state == OutboxState.REJECTED:
                stats.rejected += 1
            else:
                stats.sent += 1
        conflicts.refresh_review_flags(session, touched)
        sync = session.get(SyncState, 1)
        if sync is not None:
            sync.last_acked_mutation_id = body.last_mutation_id + base


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _outcome(result: MutationResult) -> tuple[OutboxState, str]:
    """The entry's state after HQ's answer (``result.status`` is HQ's word, not a state)."""
    if result.status == "rejected" or (result.status == "duplicate" and result.reason):
        return OutboxState.REJECTED, result.reason or _("rejected by HQ")
    if result.status == "conflict" or (result.status == "duplicate" and result.conflict_id):
        return OutboxState.CONFLICT, ""
    return OutboxState.SENT, ""


_REUSED = re.compile(r"\bmutation (\d+)\b")


def _reused_id(body: dict[str, Any], wire: list[dict[str, Any]]) -> int | None:
    """The wire id HQ says it holds with other content (named in its `detail`), if in `wire`."""
    match = _REUSED.search(str(body.get("detail") or ""))
    if match is None:
        return None
    wire_id = int(match.group(1))
    return wire_id if any(int(w["mutation_id"]) == wire_id for w in wire) else None


def _reject(store: Store, local_id: int, reason: str) -> None:
    with store.write() as session:
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.mutation_id == local_id)
            .values(state=OutboxState.REJECTED, last_error=reason)
        )


def _requeue_from(store: Store, local_id: int) -> None:
    with store.write() as session:
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.mutation_id >= local_id)
            .values(state=OutboxState.WAITING, last_error="")
        )


def push_all(
    store: Store,
    transport: Transport,
    *,
    on_progress: Callable[[int], None] | None = None,
    max_batches: int | None = None,
) -> PushStats:
    """Push until the outbox has nothing unsent (or ``max_batches`` were sent)."""
    stats = PushStats()
    gaps = 0
    while max_batches is None or stats.batches < max_batches:
        with store.read() as session:
            account = session.get(SyncAccount, 1)
            assert account is not None
            base, device_id = account.mutation_base, account.device_id
        wire, ids = _next_batch(store, base)
        if not wire:
            break
        response = transport.request(
            "POST", "/sync/push", json={"device_id": device_id, "mutations": wire}
        )
        body = response.json()
        if response.status_code == 409 and body.get("expected") is not None:
            expected = int(body["expected"])
            gaps += 1
            if expected >= int(wire[0]["mutation_id"]) or gaps > 3:
                raise ServerError(_("HQ and this device disagree about what was sent."), 409)
            _requeue_from(store, expected + base)
            continue
        if response.status_code == 422 and body.get("error") == "mutation_id_reused":
            reused = _reused_id(body, wire)
            if reused is not None:
                # Sending it again can never succeed: HQ keeps what it first received under
                # this number. That entry alone is set aside, shown with the reason.
                _reject(
                    store,
                    reused + base,
                    _(
                        "HQ already holds a different change under this change's number, "
                        "so it was not applied. Enter it again if it is still needed."
                    ),
                )
                stats.rejected += 1
                continue
        if response.status_code != 200:
            raise ServerError.refused(
                _("HQ refused the upload of changes ({status}: {error})."),
                response.status_code,
                body,
            )
        stats.batches += 1
        _record_results(store, base, device_id, PushResponse.model_validate(body), stats)
        if on_progress is not None:
            on_progress(len(ids))
    return stats
