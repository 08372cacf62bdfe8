"""Issue 20, finding 2: resync after `fairdesk-hq prune` completes; a device enrolled after a
prune starts from the snapshot.

The prune keeps the newest row of every record, so several pages survive below its mark and a
case's only surviving row comes after its timeline rows, notes and parties (the case was edited
last). A device whose cursor is older than the mark gets 410 and walks the snapshot page by page
to the end; a device enrolled afterwards walks it from the start without an FK failure.
"""

from __future__ import annotations

from pathlib import Path

from fairdesk import cases
from fairdesk.model import OutboxEntry
from sync.client import pull
from sync.client.engine import make_transport
from tests.sync.devices import Node, hq_diff, make_node, new_case
from tests.sync.hq_harness import LiveHq


def _pull_small_pages(node: Node) -> pull.PullStats:
    transport = make_transport(node.store)
    try:
        return pull.pull_all(node.store, transport, limit=3)
    finally:
        transport.close()


def _history(a: Node) -> list[str]:
    ids = [new_case(a.store, f"case {i}") for i in range(3)]
    for case_id in ids:
        for n in range(3):
            cases.add_note(a.store, case_id, f"note {n}")
        assert a.sync().drained
        cases.edit_case(a.store, case_id, cases.CaseEdit(summary="first"))
        assert a.sync().drained
        cases.edit_case(
            a.store, case_id, cases.CaseEdit(summary="newest")
        )  # the case's only surviving row
    assert a.sync().drained
    return ids


def test_stale_device_resyncs_through_several_pages_after_a_prune(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    new_case(a.store, "before b's last sync")
    assert a.sync().drained
    assert b.sync().drained  # b's cursor stays here, before everything below
    ids = _history(a)
    pruned = hq.cli("prune", "--keep-days", "0")
    assert pruned.returncode == 0, pruned.stderr
    own = new_case(b.store, "written on b while HQ was pruned")  # in b's outbox: kept
    stats = _pull_small_pages(b)
    assert stats.resyncs == 1 and stats.pages > 2
    assert b.sync().drained and a.sync().drained
    cases.edit_case(a.store, ids[1], cases.CaseEdit(hall="after the resync"))
    assert a.sync().drained
    assert b.sync().drained and _pull_small_pages(b).resyncs == 0  # later edits still arrive
    assert cases.get_case(b.store, ids[1]).hall == "after the resync"
    assert cases.get_case(b.store, ids[2]).summary == "newest"
    cases.get_case(a.store, own)  # b's outbox reached HQ and a
    with b.store.read() as session:
        assert {e.state for e in session.query(OutboxEntry)} == {"sent"}
    assert a.sync().drained
    assert hq_diff(hq, tenant, b.store) == []
    assert hq_diff(hq, tenant, a.store) == []


def test_device_enrolled_after_a_prune_starts_from_the_snapshot(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    _history(a)
    assert hq.cli("prune", "--keep-days", "0").returncode == 0
    c = make_node(hq, tmp_path, "c", tenant)
    stats = _pull_small_pages(c)  # raised FOREIGN KEY constraint failed on the first page
    assert stats.pages > 2
    assert c.sync().drained
    assert hq_diff(hq, tenant, c.store) == []
