"""docs/sync.md faults #1, #4, #5, #6, #12, #13, #14, #16: a broken link, a lying network, a picky HQ.

Each test drives real app code (store, outbox, sync engine) against a real `fairdesk-hq`
subprocess through the fault proxy, then checks HQ's own records.
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fairdesk import cases, outbox
from fairdesk.evidence.service import import_files
from fairdesk.ids import new_id
from fairdesk.model import OutboxEntry
from fairdesk.syncmodel import BlobQueueEntry
from sync.client.engine import make_transport, sync_once
from sync.client.pull import cursor_of, set_cursor
from tests.sync.devices import make_node, new_case, state_hash
from tests.sync.faultproxy import FaultProxy
from tests.sync.hq_harness import LiveHq


def _states(store: object) -> dict[str, int]:
    with store.read() as session:  # type: ignore[attr-defined]
        found: dict[str, int] = {}
        for entry in session.scalars(select(OutboxEntry)):
            found[entry.state] = found.get(entry.state, 0) + 1
        return found


def _server_changes(hq: LiveHq, tenant: str, entity: str) -> list[dict[str, Any]]:
    with hq.client() as http:
        reader = hq.enroll_device(http, tenant)
        return [c for c in reader.pull_all() if c["entity"] == entity]


def _drain(node_sync, attempts: int = 200) -> int:  # type: ignore[no-untyped-def]
    for attempt in range(1, attempts + 1):
        if node_sync().drained:
            return attempt
    raise AssertionError("never drained")


def test_lost_acknowledgements_apply_exactly_once(
    hq: LiveHq, tenant: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    """#1: a cut before HQ commits, and a response lost after it committed."""
    a = make_node(hq, tmp_path, "a", tenant, url=proxy.url)
    case_id = new_case(a.store)
    for i in range(20):
        cases.add_note(a.store, case_id, f"note {i}")
    proxy.cut_at = [proxy.bytes_up + 300]  # inside the push request: never committed
    first = a.sync()
    assert not first.ok and first.error_kind == "offline"
    proxy.drop_responses = 1  # the token answer; then the push answer after commit
    second = a.sync()
    assert not second.ok
    assert "sent" not in _states(a.store)  # nothing was confirmed, nothing marked sent
    proxy.drop_responses = 1
    third = a.sync()
    assert not third.ok
    assert _drain(a.sync) >= 1
    assert set(_states(a.store)) == {"sent"}
    notes = _server_changes(hq, tenant, "note")
    assert sorted(n["fields"]["text"] for n in notes) == sorted(f"note {i}" for i in range(20))
    assert proxy.cuts_done == 1 and proxy.drops_done == 2


def test_fifty_cuts_on_a_30_mb_photo(
    hq: LiveHq, tenant: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    """#4: resumes from HQ's offset; HQ's SHA-256 equals ours; ≤ 1.1× the file on the wire."""
    a = make_node(hq, tmp_path, "a", tenant, url=proxy.url)
    case_id = new_case(a.store)
    photo = tmp_path / "exhibit.jpg"
    photo.write_bytes(random.Random(4).randbytes(30 * 1024 * 1024))
    report = import_files(a.store, case_id, [photo])
    sha = report.outcomes[0].sha256
    start = proxy.bytes_up
    proxy.random_cuts(random.Random(50), 50, photo.stat().st_size)
    attempts = _drain(a.sync, attempts=400)
    assert proxy.cuts_done == 50
    sent = proxy.bytes_up - start
    assert sent <= 1.1 * photo.stat().st_size, (sent, attempts)
    with hq.client() as http:
        reader = hq.enroll_device(http, tenant)
        body = reader.request("GET", f"/v1/blobs/sha256:{sha}").content
    assert hashlib.sha256(body).hexdigest() == sha


def test_flipped_bits_are_refused_and_never_complete(
    hq: LiveHq, tenant: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    """#5: a chunk damaged on the way is refused (460) and sent again; the blob stays exact."""
    a = make_node(hq, tmp_path, "a", tenant, url=proxy.url)
    case_id = new_case(a.store)
    photo = tmp_path / "exhibit.jpg"
    photo.write_bytes(os.urandom(3 * 1024 * 1024))
    sha = import_files(a.store, case_id, [photo]).outcomes[0].sha256
    # Flip a bit well inside the photo's bytes (after the record push and upload set-up).
    proxy.flip_at = [proxy.bytes_up + 20_000 + 1_500_000]
    assert _drain(a.sync) == 1
    assert proxy.flip_at == []
    with a.store.read() as session:
        row = session.get(BlobQueueEntry, sha)
        assert row is not None and row.state == "done"
        assert row.bytes_sent > photo.stat().st_size  # the damaged chunk went twice
    objects = list((hq.data_dir / "blobs" / "objects").rglob(sha))
    assert len(objects) == 1
    assert hashlib.sha256(objects[0].read_bytes()).hexdigest() == sha


def test_storage_losing_the_last_chunk_makes_finalize_fail_and_device_reupload(
    hq: LiveHq, tenant: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    """#6: HQ's disk lost acknowledged bytes: the digest check fails, the device starts over."""
    a = make_node(hq, tmp_path, "a", tenant, url=proxy.url)
    case_id = new_case(a.store)
    photo = tmp_path / "exhibit.jpg"
    photo.write_bytes(os.urandom(2 * 1024 * 1024))
    sha = import_files(a.store, case_id, [photo]).outcomes[0].sha256
    transport = make_transport(a.store)
    uploads = hq.data_dir / "blobs" / "uploads"

    # Let every chunk through, then damage the stored upload just before "complete".
    import sync.client.blobs as blobs_mod

    original = blobs_mod.Uploader._send_from
    damaged: list[Path] = []
    # Complete in a separate request, so that HQ's copy can be damaged in between.
    blobs_mod.Uploader.complete_with_last_chunk = False

    def send_then_damage(self, *args):  # type: ignore[no-untyped-def]
        original(self, *args)
        if not damaged:
            [part] = list(uploads.iterdir())
            data = part.read_bytes()
            part.write_bytes(data[: len(data) - 1000] + bytes(1000))  # last chunk's tail lost
            damaged.append(part)

    blobs_mod.Uploader._send_from = send_then_damage  # type: ignore[method-assign]
    try:
        result = sync_once(a.store, transport)
    finally:
        blobs_mod.Uploader._send_from = original  # type: ignore[method-assign]
        blobs_mod.Uploader.complete_with_last_chunk = True
    assert damaged and result.drained
    with a.store.read() as session:
        row = session.get(BlobQueueEntry, sha)
        assert row is not None and row.state == "done"
        assert row.bytes_sent >= 2 * photo.stat().st_size  # uploaded again from 0
    objects = list((hq.data_dir / "blobs" / "objects").rglob(sha))
    assert hashlib.sha256(objects[0].read_bytes()).hexdigest() == sha


def test_401_mid_sync_refreshes_without_duplicates_or_moving_the_cursor(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    """#12: the access token stops working between two batches."""
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    case_id = new_case(b.store)
    assert b.sync().drained and a.sync().drained
    cursor = cursor_of(a.store)
    with a.store.write() as session:
        for i in range(1200):  # three push batches
            outbox.record(
                session,
                entity="note",
                entity_id=new_id(),
                op="insert",
                case_id=case_id,
                changes={"case_id": case_id, "text": f"n{i}", "author": "", "device_id": ""},
            )
    transport = make_transport(a.store)
    refreshed: list[str] = []
    original_refresh = transport.refresh

    def counting_refresh() -> None:
        refreshed.append("x")
        original_refresh()

    transport.refresh = counting_refresh  # type: ignore[method-assign]
    from sync.client import push

    batches = 0

    def spoil_token(_n: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 1:
            transport.access_token = "spoiled-" + (transport.access_token or "")
            assert cursor_of(a.store) == cursor  # a push never moves the pull cursor

    stats = push.push_all(a.store, transport, on_progress=spoil_token)
    assert stats.sent == 1200 and len(refreshed) == 2  # first token, then the one 401
    assert cursor_of(a.store) == cursor
    notes = _server_changes(hq, tenant, "note")
    assert len(notes) == 1200 and len({n["entity_id"] for n in notes}) == 1200


def test_410_resync_keeps_the_outbox_then_drains(hq: LiveHq, tenant: str, tmp_path: Path) -> None:
    """#13: a cursor HQ does not know (restored server) → pull from 0, outbox untouched."""
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    case_id = new_case(a.store)
    assert a.sync().drained and b.sync().drained
    cases.add_note(b.store, case_id, "waiting while HQ asks for a resync")
    set_cursor(b.store, 10_000_000)  # newer than anything HQ has: 410 resync_required
    assert _states(b.store).get("waiting") == 1
    result = b.sync()
    assert result.drained, result
    assert a.sync().drained
    assert state_hash(a.store) == state_hash(b.store)
    assert cursor_of(b.store) < 10_000_000


def test_a_permanently_rejected_mutation_is_shown_and_the_queue_moves_on(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    """#14."""
    a = make_node(hq, tmp_path, "a", tenant)
    case_id = new_case(a.store)
    with a.store.write() as session:
        outbox.record(
            session,
            entity="note",
            entity_id=new_id(),
            op="insert",
            case_id=new_id(),  # a case HQ has never heard of
            changes={"case_id": new_id(), "text": "orphan"},
        )
    cases.add_note(a.store, case_id, "after the bad one")
    result = a.sync()
    assert result.drained and result.rejected == 1
    with a.store.read() as session:
        reasons = session.scalars(
            select(OutboxEntry.last_error).where(OutboxEntry.state == "rejected")
        ).all()
    assert len(reasons) == 1 and "unknown case" in reasons[0]
    assert [n["fields"]["text"] for n in _server_changes(hq, tenant, "note")] == [
        "after the bad one"
    ]
    assert result.status is not None and result.status.needs_attention


def test_captive_portal_is_offline_and_nothing_is_marked_sent(
    hq: LiveHq, tenant: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    """#16: a 200 HTML page from the fair's Wi-Fi is not HQ."""
    a = make_node(hq, tmp_path, "a", tenant, url=proxy.url)
    case_id = new_case(a.store)
    cases.add_note(a.store, case_id, "typed at the booth")
    proxy.portal = True
    result = a.sync()
    assert not result.ok and result.error_kind == "sign_in"
    assert "sign-in" in result.error
    assert "sent" not in _states(a.store)
    assert _server_changes(hq, tenant, "note") == []
    proxy.portal = False
    assert a.sync().drained
    assert len(_server_changes(hq, tenant, "note")) == 1
