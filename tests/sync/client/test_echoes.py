"""This device's own edits coming back in the pull: HQ's version is taken, nothing re-applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from fairdesk import cases
from fairdesk.enums import OutboxState
from fairdesk.model import Case, OutboxEntry
from sync.client import pull, push
from sync.client.apply import Applier
from sync.client.engine import make_transport
from sync.client.transport import Transport
from sync.protocol import PullResponse
from tests.sync.devices import make_node, new_case, state_hash
from tests.sync.hq_harness import LiveHq


def _version(store: Any, case_id: str) -> int:
    with store.read() as session:
        return int(session.get_one(Case, case_id).version)


def _applied_in_full(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the changes the device applies in full from now on (not as echoes)."""
    applied: list[str] = []
    real = Applier.apply

    def spy(self: Applier, entity: str, entity_id: str, *args: Any) -> None:
        applied.append(entity_id)
        real(self, entity, entity_id, *args)

    monkeypatch.setattr(Applier, "apply", spy)
    return applied


def test_own_echoes_only_take_hqs_version_and_later_edits_do_not_conflict(
    hq: LiveHq, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    applied = _applied_in_full(monkeypatch)
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


def test_own_changes_come_back_without_their_fields_unless_not_held_as_sent(
    hq: LiveHq, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A week of notes is not downloaded again: the pull asks for its own changes lean. A page
    with an echo this device does not hold as sent (here: its outbox says it is still waiting,
    as after a restore from an older copy) is asked for again whole, and applied in full."""
    a = make_node(hq, tmp_path, "a", tenant)
    b = make_node(hq, tmp_path, "b", tenant)
    pages: list[tuple[str, PullResponse]] = []
    real_request = Transport.request

    def spy(self: Transport, method: str, path: str, **kwargs: Any) -> Any:
        response = real_request(self, method, path, **kwargs)
        if path == "/sync/pull" and response.status_code == 200:
            echoes = str(kwargs["params"]["echoes"])
            pages.append((echoes, PullResponse.model_validate(response.json())))
        return response

    monkeypatch.setattr(Transport, "request", spy)
    case_id = new_case(a.store)
    for i in range(3):
        cases.add_note(a.store, case_id, f"observation {i}")
    assert a.sync().drained
    own = [c for _, page in pages for c in page.changes if c.device_id is not None]
    assert [echoes for echoes, _ in pages] == ["lean"]
    with a.store.read() as session:
        sent = session.scalars(select(func.count()).select_from(OutboxEntry)).one()
    assert len(own) == sent >= 4  # the case (and what creating it logs) and three notes
    assert all(c.echo and c.fields == {} for c in own)
    assert _version(a.store, case_id) >= 1  # HQ's version taken from the lean echo
    # B's edit comes to A whole.
    assert b.sync().drained
    cases.edit_case(b.store, case_id, cases.CaseEdit(hall="4.1"))
    pages.clear()
    assert b.sync().drained and a.sync().drained
    theirs = [c for _, page in pages[-1:] for c in page.changes]
    assert theirs and all(not c.echo and c.fields for c in theirs)
    assert cases.get_case(a.store, case_id).hall == "4.1"
    # A's next edit is pushed, then its outbox entry is put back to "waiting" (not held as
    # sent) before the pull: the lean page is refused and fetched whole.
    cases.edit_case(a.store, case_id, cases.CaseEdit(summary="Seized two samples"))
    transport = make_transport(a.store)
    try:
        assert push.push_all(a.store, transport).sent >= 1
        with a.store.write() as session:
            session.execute(update(OutboxEntry).values(state=OutboxState.WAITING))
        applied = _applied_in_full(monkeypatch)
        pages.clear()
        stats = pull.pull_all(a.store, transport)
    finally:
        transport.close()
    assert [echoes for echoes, _ in pages] == ["lean", "full"]
    assert stats.pages == 1 and case_id in applied
    assert cases.get_case(a.store, case_id).summary == "Seized two samples"
    [case_change] = [c for c in pages[-1][1].changes if c.entity_id == case_id]
    assert not case_change.echo and case_change.fields["summary"] == "Seized two samples"
    assert _version(a.store, case_id) == case_change.version
