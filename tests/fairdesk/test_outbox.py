"""Row + outbox entry in one call: what the entry carries is what was written to the row.

Every service writes its synced rows through ``outbox.insert_row`` / ``update_row`` /
``delete_row``; these tests drive them on a real data folder and read the rows and the
``outbox`` table back with SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fairdesk import cases, outbox
from fairdesk.cases import CaseInput, PartyInput
from fairdesk.enums import OutboxState
from fairdesk.model import Direction, OutboxEntry, Party, PartyRole, Trigger
from fairdesk.store import Store, open_store
from fairdesk.timeutil import utcnow


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "data")


def _party(store: Store) -> str:
    case_id = cases.create_case(
        store,
        CaseInput(
            "Complaint, booth B4",
            Direction.AGAINST_US,
            Trigger.COMPLAINT,
            parties=[PartyInput(PartyRole.COMPLAINANT, "Muster GmbH")],
        ),
    )
    return cases.get_case(store, case_id).parties[0].id


@dataclass(frozen=True)
class Entry:
    entity: str
    op: str
    base_version: int | None
    changes: dict[str, Any]
    state: str


def _entries(store: Store, entity_id: str) -> list[Entry]:
    with store.read() as session:
        rows = session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.entity_id == entity_id)
            .order_by(OutboxEntry.mutation_id)
        )
        return [Entry(e.entity, e.op, e.base_version, dict(e.changes), e.state) for e in rows]


def test_insert_row_records_the_values_the_row_holds(store: Store) -> None:
    party_id = _party(store)
    (entry,) = _entries(store, party_id)
    assert (entry.entity, entry.op, entry.base_version) == ("party", "insert", None)
    assert entry.state == OutboxState.WAITING
    assert entry.state == "waiting"  # the stored value never changes
    assert entry.changes["name"] == "Muster GmbH"
    assert entry.changes["role"] == "complainant"  # the stored value, as HQ expects it


def test_update_row_records_only_what_differs_against_the_version_edited(store: Store) -> None:
    party_id = _party(store)
    now = utcnow() + timedelta(minutes=1)
    with store.write() as session:
        party = session.get(Party, party_id)
        assert party is not None
        party.version = 7  # as if HQ had confirmed version 7
        changed = outbox.update_row(
            session,
            party,
            {"name": "Muster GmbH", "organisation": "Muster Holding AG"},
            entity="party",
            case_id=party.case_id,
            now=now,
        )
    assert changed == {"organisation": "Muster Holding AG"}
    update = _entries(store, party_id)[-1]
    assert (update.op, update.base_version) == ("update", 7)
    assert update.changes == {"organisation": "Muster Holding AG"}
    with store.read() as session:
        party = session.get(Party, party_id)
        assert party is not None
        assert party.organisation == "Muster Holding AG"
        assert party.updated_at == now


def test_update_row_with_nothing_new_records_nothing(store: Store) -> None:
    party_id = _party(store)
    with store.write() as session:
        party = session.get(Party, party_id)
        assert party is not None
        before = party.updated_at
        changed = outbox.update_row(
            session, party, {"name": "Muster GmbH"}, entity="party", case_id=None, now=utcnow()
        )
        assert party.updated_at == before
    assert changed == {}
    assert [e.op for e in _entries(store, party_id)] == ["insert"]


def test_delete_row_tombstones_and_records_the_reason(store: Store) -> None:
    party_id = _party(store)
    cases.remove_party(store, party_id, reason="entered twice")
    delete = _entries(store, party_id)[-1]
    assert (delete.op, delete.changes) == ("delete", {"reason": "entered twice"})
    with store.read() as session:
        party = session.get(Party, party_id)
        assert party is not None and party.deleted_at is not None  # kept on disk, never erased
