"""Pull: cursor paging in commit order, 410 for pruned or unknown cursors (both DBs)."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.server import admin
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
