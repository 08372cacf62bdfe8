"""Push, pull, conflicts and the CLI against a real `fairdesk-hq` subprocess."""

from __future__ import annotations

from pathlib import Path

from fairdesk import cases
from tests.sync.devices import make_node, new_case, state_hash
from tests.sync.hq_harness import LiveHq


def test_case_travels_to_another_laptop_and_back(hq: LiveHq, tenant: str, tmp_path: Path) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    case_id = new_case(a.store)
    cases.edit_case(a.store, case_id, cases.CaseEdit(title="Edited before the first sync"))
    cases.add_note(a.store, case_id, "Bailiff left at 10:40")
    first = a.sync()
    assert first.drained, first
    assert first.conflicts == 0
    assert b.sync().drained
    seen = cases.get_case(b.store, case_id)
    assert seen.case.title == "Edited before the first sync"
    assert [n.text for n in seen.notes] == ["Bailiff left at 10:40"]
    cases.add_note(b.store, case_id, "Lawyer called")
    assert b.sync().drained
    assert a.sync().drained
    assert state_hash(a.store) == state_hash(b.store)
