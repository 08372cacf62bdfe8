"""Evidence annotations, device-level custody and colliding case numbers across real nodes.

Laptops A and B and an HQ machine against a live `fairdesk-hq`: an evidence caption edited on
one node reaches every node; concurrent caption edits become a conflict that keeps both values;
custody events that belong to no case are accepted; a pulled case whose number is already used
locally is kept under a suffixed number instead of stopping the pull.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from sqlalchemy import select, update

from fairdesk import cases
from fairdesk.evidence import custody
from fairdesk.evidence.models import EvidenceItem
from fairdesk.evidence.service import (
    ItemFilter,
    edit_item,
    hide_item,
    import_files,
    list_items,
    record_custody,
)
from fairdesk.evidence.vocab import CustodyAction
from fairdesk.model import Device, TimelineEvent
from sync.client.conflicts import list_conflicts, resolve
from sync.client.status import read_status
from tests.sync.devices import Node, make_node, new_case, state_diff, state_hash
from tests.sync.hq_harness import LiveHq


def _drain(*nodes: Node) -> None:
    for _round in range(2):
        for node in nodes:
            result = node.sync()
            assert result.drained, (node.name, result)
            assert read_status(node.store).outbox.get("rejected", 0) == 0, node.name


def _caption(node: Node, item_id: str) -> str:
    with node.store.read() as session:
        item = session.get(EvidenceItem, item_id)
        assert item is not None
        return item.caption


def _photo(path: Path) -> Path:
    Image.new("RGB", (64, 48), (200, 30, 30)).save(path, "JPEG")
    return path


def test_evidence_edits_reach_every_node_and_clashes_are_kept(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    office = make_node(hq, tmp_path, "office", tenant, role="legal")
    case_id = new_case(a.store)
    import_files(a.store, case_id, [_photo(tmp_path / "booth.jpg")])
    (item,) = list_items(a.store, case_id)
    edit_item(a.store, item.id, {"caption": "Copy on the shelf", "shows": "logo on the box"})
    _drain(a, b, office)
    assert _caption(b, item.id) == _caption(office, item.id) == "Copy on the shelf"

    # Concurrent edits of the same caption: HQ keeps the first, records the second as a conflict.
    edit_item(a.store, item.id, {"caption": "from A"})
    edit_item(b.store, item.id, {"caption": "from B", "booth": "4.1-C12"})
    assert a.sync().drained
    assert b.sync().drained
    _drain(office, a)
    (conflict,) = list_conflicts(office.store, case_id)
    assert conflict["entity"] == "evidence_item"
    assert conflict["fields"]["caption"]["server"] == "from A"
    assert conflict["fields"]["caption"]["client"] == "from B"
    assert _caption(office, item.id) == "from A"
    resolve(b.store, conflict["id"], pick="ours")
    _drain(b, a, office, b)
    for node in (a, b, office):
        assert _caption(node, item.id) == "from B", node.name
        assert not list_conflicts(node.store, case_id)
    with office.store.read() as session:
        synced = session.get(EvidenceItem, item.id)
        assert synced is not None and synced.booth == "4.1-C12"  # the field without a clash

    # A hide request (delete with a reason) travels too; the bytes stay.
    hide_item(b.store, item.id, "Wrong booth photographed")
    _drain(b, a, office)
    for node in (a, office):
        (row,) = list_items(node.store, case_id, ItemFilter(include_hidden=True))
        assert row.hidden_reason == "Wrong booth photographed", node.name
        assert not list_items(node.store, case_id)
    assert state_hash(a.store) == state_hash(office.store), state_diff(a.store, office.store)


def test_custody_of_the_device_itself_is_accepted(hq: LiveHq, tenant: str, tmp_path: Path) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    office = make_node(hq, tmp_path, "office", tenant, role="legal")
    new_case(a.store)
    record_custody(a.store, action=CustodyAction.TRAVEL_REMOVED, details={"files": 0})
    _drain(a, office)
    with office.store.read() as session:
        entries = custody.all_entries(session)
    mine = [e for e in entries if e["device_id"] == a.store.device.id]
    assert [e["case_id"] for e in mine] == [""]
    assert custody.check_chain(entries) == []  # the hash chain survives the trip via HQ


def test_a_pulled_case_with_a_number_used_here_is_suffixed(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    # Two devices whose short codes collide (1 in ~10^6 per pair, certain here).
    with b.store.write() as session:
        session.execute(update(Device).values(short_code=a.store.device.short_code))
    theirs = new_case(a.store, "A's case")
    ours = new_case(b.store, "B's case")
    number = cases.get_case(a.store, theirs).case.number
    assert cases.get_case(b.store, ours).case.number == number
    _drain(a, b)
    assert cases.get_case(b.store, theirs).case.number == f"{number}-2"
    assert cases.get_case(b.store, ours).case.number == number
    assert cases.get_case(a.store, ours).case.number == f"{number}-2"
    cases.edit_case(a.store, theirs, cases.CaseEdit(title="A's case, renamed"))
    _drain(a, b)
    detail = cases.get_case(b.store, theirs)
    assert (detail.case.number, detail.case.title) == (f"{number}-2", "A's case, renamed")
    with b.store.read() as session:
        notes = session.scalars(
            select(TimelineEvent.reason).where(
                TimelineEvent.case_id == theirs, TimelineEvent.new_value == f"{number}-2"
            )
        ).all()
    assert len(notes) == 1 and number in notes[0]


def test_a_rendered_document_keeps_its_own_version_number_everywhere(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    from fairdesk.documents.model import GeneratedDocument
    from fairdesk.documents.service import render_document

    a = make_node(hq, tmp_path, "a", tenant)
    office = make_node(hq, tmp_path, "office", tenant, role="legal")
    case_id = new_case(a.store)
    for _second in range(2):  # version 1, then version 2 of the same kind
        render_document(a.store, case_id, "hq_notification", "en", allow_blanks=True)
    _drain(a, office)  # "version" is a name HQ reserves: it must not be rejected
    for node in (a, office):
        with node.store.read() as session:
            versions = sorted(session.scalars(select(GeneratedDocument.version)))
        assert versions == [1, 2], node.name
