"""Issue 21, finding 6: a mutation id replayed with other content is a 422 (never "duplicate"),
and pull pages and case views are bounded in bytes as well as rows (both databases)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.server.app import create_app
from sync.server.config import Settings
from sync.server.models import ChangeLog, MutationLog, Record
from tests.sync.server.helpers import count, device, tenant

BUDGET = 16 * 1024


@pytest.fixture
def budgeted(hq_settings: Settings) -> Iterator[tuple[TestClient, FastAPI]]:
    app = create_app(hq_settings.model_copy(update={"max_pull_bytes": BUDGET}))
    with TestClient(app, base_url="http://127.0.0.1") as http:
        yield http, app
    app.state.db.dispose()


def test_same_mutation_id_with_other_content_is_422(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    case = a.new_case()
    note = a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "seen"})
    bad = a.mutation("spaceship", str(uuid.uuid4()), changes={"x": 1})
    assert [r["status"] for r in a.push([note, bad])] == ["applied", "rejected"]
    # The identical replay (a lost response) is a duplicate with the stored outcome; the
    # device's clock reading is not part of what HQ compares.
    assert [r["status"] for r in a.push([note, bad])] == ["duplicate", "duplicate"]
    relabelled = {**note, "client_time": "2026-01-01T08:00:00+08:00"}
    assert a.push([relabelled])[0]["status"] == "duplicate"
    rows = count(hq_app, ChangeLog), count(hq_app, Record), count(hq_app, MutationLog)
    follow = a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "next"})
    for changed in (
        {**note, "changes": {"case_id": case, "text": "other words"}},
        {**note, "entity_id": str(uuid.uuid4())},
        {**note, "op": "update", "base_version": 1},
        {**note, "blob_refs": ["ab" * 32]},
        {**bad, "changes": {"x": 2}},  # a rejected id is taken just the same
    ):
        response = a.push_raw([changed, follow])
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["error"] == "mutation_id_reused"
        assert body["expected"] == follow["mutation_id"]
        assert str(changed["mutation_id"]) in body["detail"]
    # Nothing of those batches was applied, not even the new mutation beside the reused id.
    assert (count(hq_app, ChangeLog), count(hq_app, Record), count(hq_app, MutationLog)) == rows
    assert [r["status"] for r in a.push([note, bad, follow])] == [
        "duplicate",
        "duplicate",
        "applied",
    ]


def _encoded(change: dict) -> int:  # type: ignore[type-arg]
    return len(json.dumps(change["fields"], separators=(",", ":"), ensure_ascii=False).encode())


def test_pull_pages_stop_at_the_byte_budget_with_at_least_one_row(
    budgeted: tuple[TestClient, FastAPI],
) -> None:
    http, app = budgeted
    tenant(app, "Acme")
    a = device(http, app, "Acme")
    case = a.new_case()
    sizes = [6000, 6000, 6000, 40000, 100, 6000, 6000, 6000, 6000]  # one row over the budget
    notes = [
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "x" * n})
        for n in sizes
    ]
    assert {r["status"] for r in a.push(notes)} == {"applied"}
    cursor, pages = 0, []
    for _ in range(20):  # bounded: 10 rows need at most 10 pages
        response = a.request("GET", "/v1/sync/pull", params={"cursor": cursor, "limit": 1000})
        assert response.status_code == 200
        body = response.json()
        pages.append(body["changes"])
        assert body["changes"], "a page always carries at least one row"
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert len(pages) > 1
    for page in pages:
        assert len(page) == 1 or sum(_encoded(c) for c in page) <= BUDGET
    assert [len(p) for p in pages if any(_encoded(c) > BUDGET for c in p)] == [1]
    texts = [c["fields"].get("text", "") for p in pages for c in p if c["entity"] == "note"]
    assert [len(t) for t in texts] == sizes  # every row once, in order
    assert cursor == pages[-1][-1]["server_seq"]


def test_case_view_is_paged_in_rows_and_bytes(budgeted: tuple[TestClient, FastAPI]) -> None:
    http, app = budgeted
    tenant(app, "Acme")
    legal = device(http, app, "Acme", "legal")
    case = legal.new_case(title="raid")
    notes = [
        legal.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "y" * 5000})
        for _ in range(12)
    ]
    legal.push(notes)
    seen: list[str] = []
    cursor = 0
    for _ in range(20):
        response = legal.request("GET", f"/v1/cases/{case}", params={"cursor": cursor, "limit": 5})
        assert response.status_code == 200, response.text
        view = response.json()
        assert 1 <= len(view["records"]) <= 5
        assert sum(_encoded(c) for c in view["records"]) <= BUDGET
        seen += [c["entity_id"] for c in view["records"]]
        cursor = view["next_cursor"]
        if not view["has_more"]:
            break
    assert seen == [case] + [n["entity_id"] for n in notes]
