"""Pulling HQ's changes by cursor: each page and the new cursor in ONE SQLite transaction.

So a crash (or SIGKILL) at any instant leaves either the page applied with its cursor, or
neither: the cursor is never ahead of the rows. A 410 means HQ no longer keeps (or never knew)
our cursor: pull everything again from 0 — applying snapshots is idempotent and the outbox is
not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from fairdesk import events
from fairdesk.i18n import _
from fairdesk.model import SyncState
from fairdesk.store import Store
from sync.client import conflicts
from sync.client.apply import Applier
from sync.client.errors import ServerError
from sync.client.transport import Transport
from sync.protocol import CONFLICT_ENTITY, DEFAULT_PULL_LIMIT, PullResponse


@dataclass
class PullStats:
    changes: int = 0
    pages: int = 0
    resyncs: int = 0


def cursor_of(store: Store) -> int:
    with store.read() as session:
        state = session.get(SyncState, 1)
        return int(state.pull_cursor or 0) if state else 0


def set_cursor(store: Store, cursor: int) -> None:
    with store.write() as session:
        state = session.get(SyncState, 1)
        assert state is not None
        state.pull_cursor = str(cursor)


def apply_page(store: Store, page: PullResponse) -> set[str]:
    """Apply the rows and store ``next_cursor`` atomically; returns the cases touched."""
    with store.write() as session:
        # Rows of one page may reference each other in any order (a re-published case).
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        applier = Applier(session)
        conflict_cases: set[str] = set()
        for change in page.changes:
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
    return touched


def pull_all(
    store: Store,
    transport: Transport,
    *,
    limit: int = DEFAULT_PULL_LIMIT,
    on_progress: Callable[[int], None] | None = None,
    max_pages: int | None = None,
) -> PullStats:
    stats = PullStats()
    while max_pages is None or stats.pages < max_pages:
        cursor = cursor_of(store)
        response = transport.request("GET", "/sync/pull", params={"cursor": cursor, "limit": limit})
        body = response.json()
        if response.status_code == 410:
            stats.resyncs += 1
            if stats.resyncs > 2:
                raise ServerError(_("HQ keeps asking this device to start over."), 410)
            set_cursor(store, 0)
            continue
        if response.status_code != 200:
            raise ServerError(
                _("HQ refused to send changes ({status}: {error}).").format(
                    status=response.status_code, error=body.get("error", "")
                ),
                response.status_code,
                str(body.get("error", "")),
            )
        page = PullResponse.model_validate(body)
        touched = apply_page(store, page)
        stats.pages += 1
        stats.changes += len(page.changes)
        for case_id in touched:
            events.emit("case_changed", case_id)
        if on_progress is not None:
            on_progress(len(page.changes))
        if not page.has_more:
            break
    return stats
