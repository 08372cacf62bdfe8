"""A device's later edit never conflicts with its own earlier one; a person may restore a row.

Added with device sync: a laptop creates a case and edits it again before its first sync (base
version 0 for both), or deletes a party it just added. Only a field someone *else* changed
since the base version is a conflict. Resolving an edit-vs-delete conflict by keeping the edit
restores the row explicitly.
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from starlette.testclient import TestClient

from tests.sync.server.helpers import device, tenant


def test_own_earlier_writes_are_not_conflicts_but_others_are(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    b = device(hq_http, hq_app, "Acme")
    case = str(uuid.uuid4())
    results = a.push(
        [
            a.mutation("case", case, changes={"title": "first", "hall": "4"}),
            a.mutation("case", case, "update", base_version=0, changes={"title": "second"}),
        ]
    )
    assert [r["status"] for r in results] == ["applied", "applied"]
    party = str(uuid.uuid4())
    results = a.push(
        [
            a.mutation("party", party, changes={"case_id": case, "name": "X"}),
            a.mutation("party", party, "delete", base_version=0),
        ]
    )
    assert [r["status"] for r in results] == ["applied", "applied"]
    # B changes the hall; A, still on base 0, edits the hall too: that is a real conflict.
    [r] = b.push([b.mutation("case", case, "update", base_version=2, changes={"hall": "5"})])
    assert r["status"] == "applied"
    [r] = a.push([a.mutation("case", case, "update", base_version=0, changes={"hall": "6"})])
    assert r["status"] == "conflict"
    assert r["server_value"] == {"hall": "5"}


def test_keeping_an_edit_over_a_delete_restores_the_row(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    b = device(hq_http, hq_app, "Acme")
    case = a.new_case()
    party = str(uuid.uuid4())
    a.push([a.mutation("party", party, changes={"case_id": case, "name": "Copycat Ltd"})])
    a.push([a.mutation("party", party, "delete", base_version=1)])
    [r] = b.push([b.mutation("party", party, "update", base_version=1, changes={"name": "C"})])
    assert r["status"] == "conflict"
    conflict_id = r["conflict_id"]
    [r] = b.push(
        [
            b.mutation(
                "party",
                party,
                "update",
                base_version=2,
                changes={"name": "C"},
                resolves_conflict_id=conflict_id,
            )
        ]
    )
    assert r["status"] == "applied"
    rows = [c for c in a.pull_all() if c["entity_id"] == party]
    assert rows[-1]["deleted"] is False
    assert rows[-1]["fields"]["name"] == "C"
    resolved = [c for c in a.pull_all() if c["entity"] == "sync_conflict"]
    assert resolved[-1]["fields"]["resolved"] is True
