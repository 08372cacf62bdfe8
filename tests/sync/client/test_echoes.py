"""This device's own edits coming back in the pull: HQ's version is taken, nothing re-applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fairdesk import cases
from fairdesk.model import Case
from sync.client.apply import Applier
from tests.sync.devices import make_node, new_case, state_hash
from tests.sync.hq_harness import LiveHq


def _version(store: Any, case_id: str) -> int:
    with store.read() as session:
        return int(session.get_one(Case, case_id).version)


def test_own_echoes_only_take_hqs_version_and_later_edits_do_not_conflict(
    hq: LiveHq, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    applied: list[str] = []
    real = Applier.apply

    def spy(self: Applier, entity: str, entity_id: str, *args: Any) -> None:
        applied.append(entity_id)
        real(self, entity, entity_id, *args)

    monkeypatch.setattr(Applier, "apply", spy)
    case_id = new_case(a.store)
    assert _version(a.store, case_id) == 0
    result = a.sync()
    assert result.drained and result.pulled >= 1  # the echo came back...
    assert case_id not in applied  # ...and was not applied again
    first = _version(a.store, case_id)
    assert first >= 1  # but HQ's version was taken: the next edit's base
    cases.edit_case(a.store, case_id, cases.CaseEdit(summary="Seized two samples"))
    result = a.sync()
    assert result.drained and result.conflicts == 0
    assert _version(a.store, case_id) > first
    # Another device's change to the same case is applied in full, in HQ's order.
    assert b.sync().drained
    assert case_id in applied
    cases.edit_case(b.store, case_id, cases.CaseEdit(hall="4.1"))
    assert b.sync().drained and a.sync().drained
    assert cases.get_case(a.store, case_id).hall == "4.1"
    cases.edit_case(a.store, case_id, cases.CaseEdit(summary="Seized three samples"))
    assert a.sync().conflicts == 0 and b.sync().drained
    assert state_hash(a.store) == state_hash(b.store)
