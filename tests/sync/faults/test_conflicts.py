"""docs/sync.md faults #7–#10 and the "served at the booth" scenario: replays, conflicts, clocks.

Three real installations (laptops A and B, an HQ machine enrolled as legal staff) against one
`fairdesk-hq` subprocess. Conflicts must reach every node with all values, be resolved by a
person on one node, and every node must end in the same state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fairdesk import cases
from fairdesk.evidence.service import import_files, list_items
from fairdesk.model import OutboxEntry
from fairdesk.syncmodel import SyncConflict
from sync.client.conflicts import resolve
from sync.client.engine import make_transport
from sync.client.push import to_wire
from tests.sync.devices import Node, make_node, new_case, state_diff, state_hash
from tests.sync.hq_harness import LiveHq


def _open(node: Node) -> list[SyncConflict]:
    with node.store.read() as session:
        rows = session.scalars(select(SyncConflict).where(SyncConflict.resolved.is_(False)))
        return [
            SyncConflict(id=r.id, case_id=r.case_id, fields=dict(r.fields), entity=r.entity)
            for r in rows
        ]


def _converge(*nodes: Node) -> None:
    for _round in range(2):
        for node in nodes:
            result = node.sync()
            assert result.drained, (node.name, result)
    hashes = {node.name: state_hash(node.store) for node in nodes}
    assert len(set(hashes.values())) == 1, [state_diff(nodes[0].store, n.store) for n in nodes]


def test_replayed_and_reordered_batches(hq: LiveHq, tenant: str, tmp_path: Path) -> None:
    """#7: a replayed batch is all duplicates; a batch that skips ids gets 409 and nothing."""
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    case_id = new_case(a.store)
    for i in range(5):
        cases.add_note(a.store, case_id, f"n{i}")
    assert a.sync().drained
    with a.store.read() as session:
        entries = list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.mutation_id)))
        wire = [to_wire(e, 0, None) for e in entries]
        device_id = session.scalar(select(SyncConflict.id)) or ""
    from fairdesk.syncmodel import SyncAccount

    with a.store.read() as session:
        account = session.get(SyncAccount, 1)
        assert account is not None
        device_id = account.device_id
    transport = make_transport(a.store)
    try:
        replay = transport.request(
            "POST", "/sync/push", json={"device_id": device_id, "mutations": wire}
        )
        assert replay.status_code == 200
        assert {r["status"] for r in replay.json()["results"]} == {"duplicate"}
        cases.add_note(a.store, case_id, "later")
        cases.add_note(a.store, case_id, "later still")
        with a.store.read() as session:
            fresh = list(
                session.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.state == "waiting")
                    .order_by(OutboxEntry.mutation_id)
                )
            )
            reordered = [to_wire(e, 0, None) for e in reversed(fresh)]
        gap = transport.request(
            "POST", "/sync/push", json={"device_id": device_id, "mutations": reordered}
        )
        assert gap.status_code == 409
        assert gap.json()["expected"] == len(wire) + 1
    finally:
        transport.close()
    assert a.sync().drained and b.sync().drained
    texts = sorted(n.text for n in cases.get_case(b.store, case_id).notes)
    assert texts == sorted([f"n{i}" for i in range(5)] + ["later", "later still"])


def _booth(hq: LiveHq, tenant: str, tmp_path: Path) -> tuple[Node, Node, Node, str]:
    a = make_node(hq, tmp_path, "laptop-a", tenant)
    b = make_node(hq, tmp_path, "laptop-b", tenant)
    office = make_node(hq, tmp_path, "hq-legal", tenant, role="legal")
    case_id = new_case(a.store, "Warning letter served at booth 4.1-C12")
    assert a.sync().drained and b.sync().drained and office.sync().drained
    return a, b, office, case_id


def test_served_at_the_booth_end_to_end(hq: LiveHq, tenant: str, tmp_path: Path) -> None:
    """Done-when: A records, B adds a note and a photo, HQ and A edit the title → conflict on
    every node, resolved on one, everything converges (state hashes equal)."""
    a, b, office, case_id = _booth(hq, tenant, tmp_path)
    cases.add_note(b.store, case_id, "Complainant's lawyer came back at 14:10")
    photo = tmp_path / "exhibit.jpg"
    from PIL import Image

    Image.new("RGB", (640, 480), (200, 30, 30)).save(photo, quality=90)
    sha = import_files(b.store, case_id, [photo]).outcomes[0].sha256
    assert b.sync().drained
    cases.edit_case(
        office.store, case_id, cases.CaseEdit(title="Warning letter — Müller GmbH design")
    )
    cases.edit_case(
        a.store, case_id, cases.CaseEdit(title="Warning letter from Müller (design 4021)")
    )
    assert office.sync().drained
    first = a.sync()
    assert first.drained and first.conflicts == 1
    for node in (a, b, office):
        assert node.sync().drained
        [conflict] = _open(node)
        assert conflict.fields["title"]["server"] == "Warning letter — Müller GmbH design"
        assert conflict.fields["title"]["client"] == "Warning letter from Müller (design 4021)"
        assert conflict.fields["title"]["base"] == "Warning letter served at booth 4.1-C12"
        assert cases.get_case(node.store, case_id).case.needs_review
    # The photo's record reached HQ's machine; its bytes on demand.
    [item] = list_items(office.store, case_id)
    assert item.sha256 == sha
    from sync.client.blobs import download

    transport = make_transport(office.store)
    try:
        path = download(office.store, transport, sha)
    finally:
        transport.close()
    assert path.read_bytes() == photo.read_bytes()
    # A person on laptop B merges the two titles; the decision syncs like any edit.
    [conflict] = _open(b)
    resolve(b.store, conflict.id, value={"title": "Warning letter from Müller GmbH (design 4021)"})
    _converge(b, a, office)
    for node in (a, b, office):
        detail = cases.get_case(node.store, case_id)
        assert detail.case.title == "Warning letter from Müller GmbH (design 4021)"
        assert not detail.case.needs_review and _open(node) == []
    # The CLI shows the same (no open conflicts) for this case.
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "fairdesk",
            "case",
            "show",
            case_id,
            "--json",
            "--data-dir",
            str(a.store.data_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(shown.stdout)["conflicts"] == []


def test_two_laptops_and_hq_edit_the_same_field(hq: LiveHq, tenant: str, tmp_path: Path) -> None:
    """#8: every value is kept in conflict records on every node; final states identical."""
    a, b, office, case_id = _booth(hq, tenant, tmp_path)
    cases.edit_case(a.store, case_id, cases.CaseEdit(booth="A-1"))
    cases.edit_case(b.store, case_id, cases.CaseEdit(booth="B-2"))
    cases.edit_case(office.store, case_id, cases.CaseEdit(booth="HQ-3"))
    assert office.sync().drained and a.sync().drained and b.sync().drained
    _converge(a, b, office)
    values = set()
    for node in (a, b, office):
        found = _open(node)
        assert len(found) == 2
        for conflict in found:
            values |= {conflict.fields["booth"]["server"], conflict.fields["booth"]["client"]}
    assert values == {"A-1", "B-2", "HQ-3"}
    assert cases.get_case(a.store, case_id).booth == "HQ-3"  # the first to reach HQ
    # CLI: `conflicts resolve --pick theirs` on A, for both.
    for conflict in _open(a):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "fairdesk",
                "conflicts",
                "resolve",
                conflict.id,
                "--pick",
                "theirs",
                "--data-dir",
                str(a.store.data_dir),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, out.stderr
    _converge(a, b, office)
    assert all(_open(node) == [] for node in (a, b, office))


def test_edit_vs_delete_is_a_conflict_and_nothing_is_lost(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    """#9."""
    a, b, office, case_id = _booth(hq, tenant, tmp_path)
    cases.delete_case(office.store, case_id, reason="duplicate of another case")
    cases.edit_case(a.store, case_id, cases.CaseEdit(summary="Bailiff seized two samples"))
    assert office.sync().drained
    result = a.sync()
    assert result.conflicts == 1
    _converge(a, b, office)
    [conflict] = _open(b)
    assert conflict.fields["_deleted"]["client"] == {"summary": "Bailiff seized two samples"}
    # Keep the edit: the case comes back everywhere with the summary.
    resolve(a.store, conflict.id, pick="ours")
    _converge(a, b, office)
    for node in (a, b, office):
        assert cases.get_case(node.store, case_id).summary == "Bailiff seized two samples"


@pytest.mark.parametrize("skew", [timedelta(hours=2), timedelta(hours=-2)])
def test_clock_skew_changes_nothing(
    hq: LiveHq, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, skew: timedelta
) -> None:
    """#10: a laptop whose clock is 2 h fast (or slow) never wins by its clock."""
    a, b, office, case_id = _booth(hq, tenant, tmp_path)
    import fairdesk.outbox

    real = fairdesk.outbox.utcnow  # type: ignore[attr-defined]  # patched below
    monkeypatch.setattr(fairdesk.outbox, "utcnow", lambda: real() + skew)
    cases.edit_case(a.store, case_id, cases.CaseEdit(hall="skewed"))
    monkeypatch.setattr(fairdesk.outbox, "utcnow", real)
    cases.edit_case(b.store, case_id, cases.CaseEdit(hall="correct"))
    assert b.sync().drained and a.sync().drained  # B reached HQ first
    _converge(a, b, office)
    # Same outcome whichever way the clock is off: HQ order decides what is kept, a person
    # decides the conflict.
    assert cases.get_case(office.store, case_id).hall == "correct"
    [conflict] = _open(office)
    assert conflict.fields["hall"] == {"base": "", "server": "correct", "client": "skewed"}
