"""Issue 20, finding 1: a device never loses its own acknowledged edit from its own view.

X and Y share a case; Y sets the hall and syncs; X, without pulling first, sets the summary and
syncs. HQ then holds ``X summary | Y hall``. The pull that follows X's push brings Y's older
snapshot of the row (made before X's edit) and then X's own edit back: the older snapshot must
not put the summary back to what it was before X's acknowledged edit.
"""

from __future__ import annotations

from pathlib import Path

from fairdesk import cases
from sync.client import pull
from sync.client.engine import make_transport
from tests.sync.devices import hq_diff, make_node, new_case
from tests.sync.hq_harness import LiveHq


def test_older_snapshot_in_the_pull_never_overwrites_own_acknowledged_edit(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    x = make_node(hq, tmp_path, "x", tenant)
    y = make_node(hq, tmp_path, "y", tenant)
    case_id = new_case(x.store)
    assert x.sync().drained and y.sync().drained
    cases.edit_case(y.store, case_id, cases.CaseEdit(hall="Y hall"))
    assert y.sync().drained
    cases.edit_case(x.store, case_id, cases.CaseEdit(summary="X summary"))
    for _ in range(2):
        result = x.sync()
        assert result.drained and result.conflicts == 0
    shown = cases.get_case(x.store, case_id)
    assert (shown.summary, shown.hall) == ("X summary", "Y hall")
    assert hq_diff(hq, tenant, x.store) == []
    assert y.sync().drained
    assert hq_diff(hq, tenant, y.store) == []


def test_own_edit_survives_a_page_boundary_between_older_snapshot_and_its_echo(
    hq: LiveHq, tenant: str, tmp_path: Path
) -> None:
    """Pulled one change per page: after the first page X must still show its own summary."""
    x = make_node(hq, tmp_path, "x", tenant)
    y = make_node(hq, tmp_path, "y", tenant)
    case_id = new_case(x.store)
    assert x.sync().drained and y.sync().drained
    cases.edit_case(y.store, case_id, cases.CaseEdit(hall="Y hall"))
    assert y.sync().drained
    cases.edit_case(x.store, case_id, cases.CaseEdit(summary="X summary"))
    from sync.client import push

    transport = make_transport(x.store)
    try:
        assert push.push_all(x.store, transport).sent >= 1
        pull.pull_all(x.store, transport, limit=1, max_pages=1)  # only Y's older snapshot
        shown = cases.get_case(x.store, case_id)
        assert (shown.summary, shown.hall) == ("X summary", "Y hall")
        pull.pull_all(x.store, transport, limit=1)
    finally:
        transport.close()
    assert hq_diff(hq, tenant, x.store) == []
