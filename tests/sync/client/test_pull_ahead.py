"""The pull asks HQ for the next page while the device applies the one before."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from fairdesk import cases
from fairdesk.enums import OutboxState
from fairdesk.model import OutboxEntry
from fairdesk.store import Store
from sync.client import pull, push
from sync.client.engine import make_transport
from sync.client.transport import Transport
from sync.protocol import PullResponse
from tests.sync.devices import make_node, new_case, state_hash
from tests.sync.hq_harness import LiveHq


class _Log:
    """The pull requests sent (cursor, echoes) and the pages applied, seen from both threads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[tuple[int, str]] = []
        self.applied: list[PullResponse] = []
        self.changed = threading.Condition()
        real_request = Transport.request
        real_apply = pull.apply_page

        def request(transport: Transport, method: str, path: str, **kwargs: Any) -> Any:
            if path == "/sync/pull":
                with self.changed:
                    params = kwargs["params"]
                    self.asked.append((int(params["cursor"]), str(params["echoes"])))
                    self.changed.notify_all()
            return real_request(transport, method, path, **kwargs)

        def apply_page(store: Store, page: PullResponse) -> set[str]:
            if page.has_more:
                # Applying waits until the next page has been asked for: without a request
                # ahead it never is, and the pull fails here.
                with self.changed:
                    asked_ahead = self.changed.wait_for(
                        lambda: (page.next_cursor, "lean") in self.asked, timeout=30
                    )
                assert asked_ahead, f"page after {page.next_cursor} not asked for ahead"
            touched = real_apply(store, page)
            self.applied.append(page)  # applied (a refused page raises before this)
            return touched

        monkeypatch.setattr(Transport, "request", request)
        monkeypatch.setattr(pull, "apply_page", apply_page)


def test_the_next_page_is_asked_for_while_this_one_is_applied(
    hq: LiveHq, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    case_id = new_case(a.store)
    for i in range(7):
        cases.add_note(a.store, case_id, f"observation {i}")
    assert a.sync().drained
    log = _Log(monkeypatch)
    transport = make_transport(b.store)
    try:
        stats = pull.pull_all(b.store, transport, limit=2)
    finally:
        transport.close()
    assert stats.pages == len(log.applied) >= 4
    # Each page asked for once, in order: nothing asked ahead was thrown away.
    cursors = [cursor for cursor, _ in log.asked]
    assert cursors == sorted(set(cursors)) and len(cursors) == stats.pages
    assert pull.cursor_of(b.store) == log.applied[-1].next_cursor
    assert state_hash(a.store) == state_hash(b.store)


def test_a_page_asked_ahead_is_dropped_when_the_next_request_differs(
    hq: LiveHq, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lean page with an echo this device does not hold as sent is asked for again whole:
    the page asked ahead (lean, after it) is not applied in its place."""
    a = make_node(hq, tmp_path, "a", tenant)
    case_id = new_case(a.store)
    for i in range(5):
        cases.add_note(a.store, case_id, f"observation {i}")
    transport = make_transport(a.store)
    try:
        assert push.push_all(a.store, transport).sent >= 6
        with a.store.write() as session:  # as after a restore from an older copy
            session.execute(update(OutboxEntry).values(state=OutboxState.WAITING))
        log = _Log(monkeypatch)
        stats = pull.pull_all(a.store, transport, limit=2)
    finally:
        transport.close()
    # Each lean page is refused and asked for again whole; the lean page asked ahead of the
    # first is dropped, not applied in the first's place.
    first_next = log.applied[0].next_cursor
    assert log.asked[:3] == [(0, "lean"), (first_next, "lean"), (0, "full")]
    applied = log.applied
    assert len(applied) >= 3 and all(not c.echo for page in applied for c in page.changes)
    assert [p.next_cursor for p in applied] == sorted({p.next_cursor for p in applied})
    assert stats.pages == len(applied) and pull.cursor_of(a.store) == applied[-1].next_cursor
    assert len(cases.get_case(a.store, case_id).notes) == 5
