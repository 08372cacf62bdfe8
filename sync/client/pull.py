"""Pulling HQ's changes by cursor: each page and the new cursor in ONE SQLite transaction.

So a crash (or SIGKILL) at any instant leaves either the page applied with its cursor, or
neither: the cursor is never ahead of the rows. A 410 ``resync_required`` means HQ pruned its
log past our cursor: pull everything again from 0 — applying snapshots is idempotent and the
outbox is not touched. Pages from the pruned part of the log say ``snapshot_until``; it is kept
with the cursor (same transaction) and sent back until the cursor passes it, so the walk is not
taken for a stale cursor again, and resumes where it stopped after a crash.

A 410 ``hq_restored`` means HQ was restored from an older backup (``sync.server.epoch``): in one
transaction every mutation after the last one HQ holds from us goes back to "waiting" (the push
re-sends it), HQ's versions this device held are forgotten (they were handed out again), and the
cursor goes to 0. Each request carries the epoch and the last acknowledged mutation, so HQ can
tell.

This device's own edits come back in the pull too (HQ logs every write with its ``device_id``
and ``mutation_id``). One that HQ acknowledged as applied is already in the local rows: only
HQ's version is taken from it (see :func:`_own_applied` for what is still applied in full). So
the device asks for them without their fields (``echoes=lean``); a page with an echo it does
not hold as applied is asked for again with every change's fields (``echoes=full``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import requests
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from fairdesk import events
from fairdesk.enums import OutboxState
from fairdesk.i18n import _
from fairdesk.knowledge.library import load_active
from fairdesk.model import OutboxEntry, SyncState
from fairdesk.store import Store
from fairdesk.syncmodel import SyncAccount
from sync.client import conflicts
from sync.client.apply import WIRE_RENAMES, Applier, tables
from sync.client.errors import ServerError
from sync.client.transport import Transport
from sync.protocol import CONFLICT_ENTITY, DEFAULT_PULL_LIMIT, PullResponse

log = logging.getLogger(__name__)


@dataclass
class PullStats:
    changes: int = 0
    pages: int = 0
    resyncs: int = 0
    restored: bool = False  # HQ was restored from a backup: push again, then pull again


def cursor_of(store: Store) -> int:
    with store.read() as session:
        state = session.get(SyncState, 1)
        return int(state.pull_cursor or 0) if state else 0


def set_cursor(store: Store, cursor: int) -> None:
    with store.write() as session:
        state = session.get(SyncState, 1)
        assert state is not None
        state.pull_cursor = str(cursor)


class _EchoNotHeld(Exception):
    """A lean page (fields of our own changes left out) has one this device must apply in full."""


def _pull_params(store: Store, limit: int, echoes: str) -> dict[str, int | str]:
    with store.read() as session:
        state = session.get(SyncState, 1)
        account = session.get(SyncAccount, 1)
        cursor = int(state.pull_cursor or 0) if state else 0
        params: dict[str, int | str] = {"cursor": cursor, "limit": limit, "echoes": echoes}
        if account is not None and cursor < account.snapshot_until:
            params["snapshot"] = account.snapshot_until
        if account is not None and account.hq_epoch:
            params["epoch"] = account.hq_epoch
        if state is not None and account is not None and account.device_id:
            params["acked"] = max(state.last_acked_mutation_id - account.mutation_base, 0)
    return params


def apply_page(store: Store, page: PullResponse) -> set[str]:
    """Apply the rows and store ``next_cursor`` atomically; returns the cases touched.

    Raises `_EchoNotHeld` (nothing applied) when a change came without its fields that this
    device does not hold as HQ applied it.
    """
    library = load_active(store)
    with store.write() as session:
        # Rows of one page may reference each other in any order (a re-published case).
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        applier = Applier(session, library)
        own = _own_applied(session, page)
        conflict_cases: set[str] = set()
        for change in page.changes:
            if (change.device_id, change.mutation_id, change.entity, change.entity_id) in own:
                applier.echo(change.entity, change.entity_id, change.version)
                continue
            if change.echo:
                raise _EchoNotHeld(change.entity_id)
            if change.entity == CONFLICT_ENTITY:
                conflicts.store_pulled(session, change.entity_id, change.case_id, change.fields)
                if change.case_id:
                    conflict_cases.add(change.case_id)
                continue
            applier.apply(
                change.entity,
                change.entity_id,
                change.case_id,
                change.version,
                change.fields,
                change.deleted,
            )
        session.flush()
        touched = applier.finish() | conflict_cases
        conflicts.refresh_review_flags(session, touched)
        state = session.get(SyncState, 1)
        assert state is not None
        state.pull_cursor = str(page.next_cursor)
        account = session.get(SyncAccount, 1)
        if account is not None:
            walking = page.next_cursor < page.snapshot_until
            account.snapshot_until = page.snapshot_until if walking else 0
            if page.epoch:
                account.hq_epoch = page.epoch
    return touched


def restart_after_restore(store: Store, hq_next: int) -> None:
    """HQ lost what it had acknowledged after mutation ``hq_next - 1`` (wire id): start over."""
    with store.write() as session:
        account = session.get(SyncAccount, 1)
        state = session.get(SyncState, 1)
        assert account is not None and state is not None
        base = account.mutation_base
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.mutation_id >= hq_next + base)
            .values(state=OutboxState.WAITING, last_error="", acked_version=None)
        )
        # Versions of the old epoch mean nothing now: every pulled snapshot is taken again.
        session.execute(update(OutboxEntry).values(acked_version=None))
        for entity, table in tables().items():
            if "version" in table.columns and "version" not in WIRE_RENAMES.get(entity, {}):
                session.execute(table.update().values(version=0))
        state.last_acked_mutation_id = min(state.last_acked_mutation_id, hq_next - 1 + base)
        state.pull_cursor = "0"
        account.snapshot_until = 0
        account.hq_epoch = ""


def _own_applied(
    session: Session, page: PullResponse
) -> set[tuple[str | None, int | None, str, str]]:
    """(device_id, wire mutation_id, entity, entity_id) of the page's changes that are this
    device's own edits, acknowledged by HQ as applied ("sent"): in the local rows already.

    A conflicted or rejected edit is not in this set (HQ's row differs from ours there), nor a
    conflict resolution, nor anything else HQ logged under the same mutation (a conflict
    record, another entity): those are applied in full like anyone else's change.
    """
    account = session.get(SyncAccount, 1)
    if account is None or not account.device_id:
        return set()
    base = account.mutation_base
    wire_ids = [
        c.mutation_id
        for c in page.changes
        if c.device_id == account.device_id
        and c.mutation_id is not None
        and c.entity != CONFLICT_ENTITY
    ]
    own: set[tuple[str | None, int | None, str, str]] = set()
    for start in range(0, len(wire_ids), 900):  # SQLite's bound-parameter limit
        chunk = [m + base for m in wire_ids[start : start + 900]]
        rows = session.execute(
            select(OutboxEntry.mutation_id, OutboxEntry.entity, OutboxEntry.entity_id).where(
                OutboxEntry.mutation_id.in_(chunk), OutboxEntry.state == OutboxState.SENT
            )
        )
        # A conflict resolution is applied by HQ's rules (an edit kept over a delete brings the
        # row back), which the local row may not show yet: its echo is applied in full.
        resolutions = conflicts.resolution_map(session, chunk)
        own.update((account.device_id, m - base, e, i) for m, e, i in rows if m not in resolutions)
    return own


def pull_all(
    store: Store,
    transport: Transport,
    *,
    limit: int = DEFAULT_PULL_LIMIT,
    on_progress: Callable[[int], None] | None = None,
    max_pages: int | None = None,
) -> PullStats:
    stats = PullStats()
    echoes = "lean"
    with _PageAhead(transport) as pages:
        while max_pages is None or stats.pages < max_pages:
            params = _pull_params(store, limit, echoes)
            response = pages.get(params)
            body = response.json()
            if response.status_code == 410:
                stats.resyncs += 1
                if stats.resyncs > 2:
                    raise ServerError(_("HQ keeps asking this device to start over."), 410)
                if body.get("error") == "hq_restored" and body.get("expected") is not None:
                    restart_after_restore(store, int(body["expected"]))
                    stats.restored = True
                    return stats  # the caller pushes what HQ lacks, then pulls from 0
                set_cursor(store, 0)
                continue
            if response.status_code != 200:
                raise ServerError.refused(
                    _("HQ refused to send changes ({status}: {error})."),
                    response.status_code,
                    body,
                )
            page = PullResponse.model_validate(body)
            if page.has_more and (max_pages is None or stats.pages + 1 < max_pages):
                pages.ask_ahead(_params_after(params, page))
            try:
                touched = apply_page(store, page)
            except _EchoNotHeld:
                echoes = "full"  # the same page again, every change with its fields
                continue
            echoes = "lean"
            stats.pages += 1
            stats.changes += len(page.changes)
            for case_id in touched:
                events.emit(events.Change.CASE, case_id)
            if on_progress is not None:
                on_progress(len(page.changes))
            if not page.has_more:
                break
    return stats


def _params_after(params: dict[str, int | str], page: PullResponse) -> dict[str, int | str]:
    """The parameters ``_pull_params`` will read once ``page`` is applied (lean echoes)."""
    after = {**params, "cursor": page.next_cursor, "echoes": "lean"}
    after.pop("snapshot", None)
    if page.next_cursor < page.snapshot_until:
        after["snapshot"] = page.snapshot_until
    if page.epoch:
        after["epoch"] = page.epoch
    return after


class _PageAhead:
    """Asks HQ for the next page while this one is applied.

    HQ reads and encodes a page (~30 ms for 500 changes here) while the device applies the one
    before; on a slow link the request's round trip overlaps too. A page asked ahead is used
    only if the parameters read after applying are exactly those it was asked with (else it
    is dropped and asked again). The pull has one request in flight at a time: a request
    ahead is always waited for before the next one is sent, and before leaving.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="pull-ahead")
        self._ahead: tuple[dict[str, int | str], Future[requests.Response]] | None = None

    def __enter__(self) -> _PageAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._drop()
        self._pool.shutdown(wait=True)

    def ask_ahead(self, params: dict[str, int | str]) -> None:
        self._drop()
        self._ahead = (params, self._pool.submit(self._request, params))

    def get(self, params: dict[str, int | str]) -> requests.Response:
        if self._ahead is not None and self._ahead[0] == params:
            future = self._ahead[1]
            self._ahead = None
            return future.result()
        self._drop()
        return self._request(params)

    def _drop(self) -> None:
        if self._ahead is None:
            return
        future = self._ahead[1]
        self._ahead = None
        try:
            future.result().close()
        except Exception:  # a page no one will read: its failure is not ours
            log.debug("a page asked ahead failed", exc_info=True)

    def _request(self, params: dict[str, int | str]) -> requests.Response:
        return self._transport.request("GET", "/sync/pull", params=params)
