"""Pull: cursor paging in commit order, 410 for pruned or unknown cursors (both DBs)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.server import admin
from tests.sync.hq_harness import DeviceClient
from tests.sync.server.helpers import database, device, tenant


def test_cursor_pages_through_everything_once(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    a, b = device(hq_http, hq_app, "Acme"), device(hq_http, hq_app, "Acme")
    case = a.new_case()
    a.push(
        [
            a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "n": i})
            for i in range(25)
        ]
    )
    seen: list[int] = []
    cursor = 0
    while True:
        page = b.request("GET", "/v1/sync/pull", params={"cursor": cursor, "limit": 7}).json()
        seen += [c["server_seq"] for c in page["changes"]]
        assert page["last_mutation_id"] == 0  # b has pushed nothing
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 26
    empty = b.request("GET", "/v1/sync/pull", params={"cursor": cursor}).json()
    assert {k: v for k, v in empty.items() if k != "epoch"} == {
        "changes": [],
        "next_cursor": cursor,
        "has_more": False,
        "last_mutation_id": 0,
        "snapshot_until": 0,
    }
    assert len(empty["epoch"]) == 16  # HQ's epoch id (sync.server.epoch)
    assert (
        a.request("GET", "/v1/sync/pull", params={"cursor": cursor}).json()["last_mutation_id"]
        == 26
    )


def test_pruned_or_future_cursor_gets_410_and_resync_from_zero_works(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    case = a.new_case(title="v1")
    for version in range(1, 4):
        a.push(
            [
                a.mutation(
                    "case",
                    case,
                    "update",
                    base_version=version,
                    changes={"title": f"v{version + 1}"},
                )
            ]
        )
    a.pull_all()
    old_cursor = 2
    with database(hq_app).writing() as session:
        assert admin.prune(session, keep_days=0) == 3  # superseded versions of the case
    gone = a.request("GET", "/v1/sync/pull", params={"cursor": old_cursor})
    assert gone.status_code == 410
    assert gone.json()["error"] == "resync_required"
    assert gone.headers["x-fairdesk-server"] == "fairdesk-hq/1"
    rebuilt = a.pull_all(0)
    assert [(c["entity_id"], c["fields"]["title"]) for c in rebuilt] == [(case, "v4")]
    future = a.request("GET", "/v1/sync/pull", params={"cursor": 10**9})
    assert future.status_code == 410  # e.g. the server was restored from an older backup


def test_page_size_over_the_limit_is_422(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    assert a.request("GET", "/v1/sync/pull", params={"limit": 1001}).status_code == 422
    assert a.request("GET", "/v1/sync/pull", params={"cursor": -1}).status_code == 422


def test_lean_echoes_leave_out_only_the_asking_devices_own_fields(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    a, b = device(hq_http, hq_app, "Acme"), device(hq_http, hq_app, "Acme")
    case = a.new_case(title="Booth 4")
    note = str(uuid.uuid4())
    a.push([a.mutation("note", note, changes={"case_id": case, "text": "seen"})])
    [edit] = b.push([b.mutation("case", case, op="update", base_version=1, changes={"hall": "4"})])
    assert edit["status"] == "applied"
    # A changes the hall too, from the version before B's edit: a conflict, whose record is
    # logged under A's mutation but is news to A (never left out).
    [clash] = a.push([a.mutation("case", case, op="update", base_version=1, changes={"hall": "5"})])
    assert clash["status"] == "conflict"

    def pull(dev: DeviceClient, echoes: str) -> list[dict[str, Any]]:
        params = {"cursor": 0, "echoes": echoes}
        response = dev.request("GET", "/v1/sync/pull", params=params)
        assert response.status_code == 200, response.text
        changes: list[dict[str, Any]] = response.json()["changes"]
        return changes

    lean = pull(a, "lean")
    full = pull(a, "full")
    assert [c["server_seq"] for c in lean] == [c["server_seq"] for c in full]
    for short, whole in zip(lean, full, strict=True):
        own = whole["device_id"] == a.device_id and whole["entity"] != "sync_conflict"
        assert short["echo"] is own and not whole["echo"]
        assert short["fields"] == ({} if own else whole["fields"])
        assert {k: v for k, v in short.items() if k not in ("fields", "echo")} == {
            k: v for k, v in whole.items() if k not in ("fields", "echo")
        }
    assert [c["entity"] for c in lean if c["echo"]] == ["case", "note"]
    assert any(c["entity"] == "sync_conflict" and c["device_id"] == a.device_id for c in lean)
    # Another device of the tenant gets A's changes whole, and only its own lean.
    others = pull(b, "lean")
    assert [c["entity"] for c in others if c["echo"]] == ["case"]
    assert all(c["fields"] for c in others if c["device_id"] == a.device_id)
    # Without the parameter (an older device), nothing is left out.
    plain = a.request("GET", "/v1/sync/pull", params={"cursor": 0}).json()["changes"]
    assert plain == full
    assert a.request("GET", "/v1/sync/pull", params={"echoes": "some"}).status_code == 422
