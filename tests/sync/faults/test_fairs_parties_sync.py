"""Fairs, parties and rights through a real `fairdesk-hq` subprocess: field-level merges,
conflicts shown like any other field, and catalogue fairs that two laptops seeded alike.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from fairdesk import cases, fairs
from fairdesk.cases import CaseInput, PartyInput, RightInput
from fairdesk.model import Direction, PartyRole, RightKind, Trigger
from fairdesk.syncmodel import SyncConflict
from tests.sync.devices import Node, make_node, state_diff, state_hash
from tests.sync.hq_harness import LiveHq


def _converge(*nodes: Node) -> None:
    for _round in range(2):
        for node in nodes:
            assert node.sync().drained, node.name
    hashes = {state_hash(node.store) for node in nodes}
    assert len(hashes) == 1, [state_diff(nodes[0].store, n.store) for n in nodes]


def _open_conflicts(node: Node) -> list[tuple[str, set[str]]]:
    with node.store.read() as session:
        rows = session.scalars(select(SyncConflict).where(SyncConflict.resolved.is_(False)))
        return [(r.entity, set(r.fields)) for r in rows]


def test_catalogue_fair_edits_merge_by_field_and_clash_on_the_same_field(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    ifa = fairs.find_fair(a.store, "IFA Berlin").id
    assert fairs.find_fair(b.store, "IFA Berlin").id == ifa  # same catalogue id on both
    # Different fields, neither laptop has synced yet: both are kept, no conflict.
    fairs.edit_fair(a.store, ifa, {"starts_on": date(2027, 9, 3), "ends_on": date(2027, 9, 7)})
    fairs.edit_fair(b.store, ifa, {"opening_time": "10:00", "closing_time": "18:00"})
    # A case at a catalogue fair made on A finds its fair on B.
    case_id = cases.create_case(
        a.store,
        CaseInput("Injunction", Direction.AGAINST_US, Trigger.COURT_ORDER, fair_id=ifa),
    )
    _converge(a, b)
    for node in (a, b):
        row = fairs.get_fair(node.store, ifa)
        assert (row.starts_on, row.opening_time, row.name) == (
            date(2027, 9, 3),
            "10:00",
            "IFA Berlin",
        )
        assert cases.get_case(node.store, case_id).case.fair_name == "IFA Berlin"
        assert _open_conflicts(node) == []
    # The same field changed on both: a conflict with both values, on every node.
    fairs.edit_fair(a.store, ifa, {"venue": "Messe Berlin, halls 1-26"})
    fairs.edit_fair(b.store, ifa, {"venue": "CityCube Berlin"})
    _converge(a, b)
    for node in (a, b):
        assert _open_conflicts(node) == [("fair", {"venue"})]


def test_party_and_right_edits_sync_field_by_field(hq: LiveHq, tenant: str, tmp_path: Path) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    case_id = cases.create_case(
        a.store,
        CaseInput(
            "Injunction",
            Direction.AGAINST_US,
            Trigger.COURT_ORDER,
            parties=[
                PartyInput(PartyRole.COURT, "Landgericht Düsseldorf", reference="4a O 12/26"),
                PartyInput(PartyRole.BAILIFF, "K. Weber"),
                PartyInput(PartyRole.WITNESS, "Li Example"),
            ],
            rights=[RightInput(RightKind.INVENTION_PATENT, "EP 3 000 001", "EP")],
        ),
    )
    _converge(a, b)
    detail = cases.get_case(b.store, case_id)
    court, bailiff, witness = detail.parties
    right = detail.rights[0]
    assert court.reference == "4a O 12/26"
    # Different fields of one row merge; the same field clashes; edit vs remove clashes.
    cases.edit_party(a.store, court.id, {"reference": "4a O 13/26"})
    cases.edit_party(b.store, court.id, {"organisation": "4a. Zivilkammer"})
    cases.edit_party(a.store, bailiff.id, {"name": "Klaus Weber"})
    cases.edit_party(b.store, bailiff.id, {"name": "K. Weber (Obergerichtsvollzieher)"})
    cases.edit_right(a.store, right.id, {"right_status": "granted"})
    cases.edit_right(b.store, right.id, {"asserted_by_us": True})
    cases.remove_party(a.store, witness.id, reason="not a witness after all")
    cases.edit_party(b.store, witness.id, {"contact": "+49 511 000000"})
    _converge(a, b)
    for node in (a, b):
        detail = cases.get_case(node.store, case_id)
        by_id = {p.id: p for p in detail.parties}
        assert (by_id[court.id].reference, by_id[court.id].organisation) == (
            "4a O 13/26",
            "4a. Zivilkammer",
        )
        assert (detail.rights[0].right_status, detail.rights[0].asserted_by_us) == (
            "granted",
            True,
        )
        found = sorted(_open_conflicts(node), key=lambda c: sorted(c[1]))
        assert ("party", {"name"}) in found
        assert any(entity == "party" and "_deleted" in names for entity, names in found)
        assert cases.get_case(node.store, case_id).case.needs_review


def test_own_edit_of_another_field_survives_an_older_snapshot(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    """A syncs an edit of the hall, then B syncs an edit of the booth: B pulls A's row as it
    was before B's edit. B kept showing the booth empty (HQ and A had it) until a snapshot
    older than our own applied edit stopped hiding it (``outbox.acked_version``)."""
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    case_id = cases.create_case(
        a.store, CaseInput("Warning letter", Direction.AGAINST_US, Trigger.WARNING_LETTER)
    )
    _converge(a, b)
    cases.edit_case(a.store, case_id, cases.CaseEdit(hall="4.1"))
    cases.edit_case(b.store, case_id, cases.CaseEdit(booth="C12"))
    _converge(a, b)
    for node in (a, b):
        detail = cases.get_case(node.store, case_id)
        assert (detail.hall, detail.booth) == ("4.1", "C12"), node.name
