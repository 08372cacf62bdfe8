"""A 422 ``mutation_id_reused`` from a real `fairdesk-hq` rejects that one outbox entry (with a
reason the user sees on the Sync page) and the rest of the outbox goes on (issue 21).

Before, the device took it for a passing server error: every sync failed on the same batch
and nothing behind it was ever sent.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from fairdesk import cases
from fairdesk.model import OutboxEntry
from sync.client.status import read_status
from tests.sync.devices import make_node, new_case
from tests.sync.hq_harness import LiveHq


def test_reused_mutation_id_is_rejected_alone_and_the_outbox_goes_on(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    laptop = make_node(hq, tmp_path, "laptop", tenant)
    case_id = new_case(laptop.store, "Served at booth 4.1")
    first_note = cases.add_note(laptop.store, case_id, "as HQ received it")
    assert laptop.sync().drained
    with laptop.store.write() as session:
        sent = session.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == first_note)).one()
        # The device now holds other content under an id HQ has already acknowledged (as
        # after restoring the device from an old backup, or a bug): it must go again.
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.mutation_id == sent.mutation_id)
            .values(state="waiting", changes={**sent.changes, "text": "other words"})
        )
        reused = sent.mutation_id
    later_note = cases.add_note(laptop.store, case_id, "written afterwards")
    result = laptop.sync()
    assert result.drained, result
    with laptop.store.read() as session:
        entry = session.get_one(OutboxEntry, reused)
        assert entry.state == "rejected"
        assert "different change under this change's number" in entry.last_error
        later = session.scalars(
            select(OutboxEntry).where(OutboxEntry.entity_id == later_note)
        ).one()
        assert later.state == "sent"
    assert read_status(laptop.store).outbox.get("rejected") == 1
    # HQ kept what it first received, and has the later note.
    office = make_node(hq, tmp_path, "office", tenant)
    assert office.sync().drained
    notes = {n.id: n.text for n in cases.get_case(office.store, case_id).notes}
    assert notes == {first_note: "as HQ received it", later_note: "written afterwards"}
    assert laptop.sync().drained  # nothing left behind, no error on the next sync
