"""Push: idempotency, gaps, field-by-field conflicts, edit-vs-delete, rejections (both DBs)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from starlette.testclient import TestClient

from sync.protocol import Mutation
from sync.server.models import BlobLink, ChangeLog, Conflict, MutationLog, Record
from sync.server.push import content_hash
from tests.sync.hq_harness import DeviceClient
from tests.sync.server.helpers import count, database, device, tenant


def _setup(http: TestClient, app: FastAPI) -> tuple:  # type: ignore[type-arg]
    tenant(app, "Acme")
    return device(http, app, "Acme"), device(http, app, "Acme")


def test_retry_is_idempotent_and_returns_stored_outcomes(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    a, _ = _setup(hq_http, hq_app)
    case = str(uuid.uuid4())
    batch = [
        a.mutation("case", case, changes={"title": "Booth 4"}),
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "seen"}),
        a.mutation("bogus", case),
    ]
    first = a.push(batch)
    assert [r["status"] for r in first] == ["applied", "applied", "rejected"]
    rows = count(hq_app, ChangeLog)
    again = a.push(batch)  # the response was lost; the device sends the same batch again
    assert [r["status"] for r in again] == ["duplicate"] * 3
    assert [r["server_seq"] for r in again] == [r["server_seq"] for r in first]
    assert again[2]["reason"] == first[2]["reason"]
    assert count(hq_app, ChangeLog) == rows
    assert count(hq_app, MutationLog) == 3


def test_gap_returns_409_and_applies_nothing(hq_http: TestClient, hq_app: FastAPI) -> None:
    a, _ = _setup(hq_http, hq_app)
    a.new_case()
    a.next_mutation = 5
    gap = a.push_raw([a.mutation("case", str(uuid.uuid4()), changes={"title": "x"})])
    assert gap.status_code == 409
    assert gap.json() == {"error": "mutation_gap", "detail": "expected mutation 2", "expected": 2}
    # Reordered batch: 3 before 2 is a gap as well.
    a.next_mutation = 2
    m2 = a.mutation("case", str(uuid.uuid4()), changes={"title": "two"})
    m3 = a.mutation("case", str(uuid.uuid4()), changes={"title": "three"})
    assert a.push_raw([m3, m2]).status_code == 409
    assert count(hq_app, Record) == 1
    assert [r["status"] for r in a.push([m2, m3])] == ["applied", "applied"]


def test_conflicts_are_field_by_field_and_reach_every_node(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    a, b = _setup(hq_http, hq_app)
    case = a.new_case(title="Booth 4", status="open", city="Shanghai")
    [r] = a.push([a.mutation("case", case, "update", base_version=1, changes={"title": "Booth 5"})])
    assert r == {**r, "status": "applied", "version": 2}
    # B edited version 1 offline: title clashes, status is B's alone, city is the same value.
    [r] = b.push(
        [
            b.mutation(
                "case",
                case,
                "update",
                base_version=1,
                changes={"title": "Booth 6", "status": "raided", "city": "Shanghai"},
            )
        ]
    )
    assert r["status"] == "conflict"
    assert r["server_value"] == {"title": "Booth 5"}
    assert r["version"] == 3  # status was applied
    pulled = a.pull_all()
    [conflict] = [c for c in pulled if c["entity"] == "sync_conflict"]
    assert conflict["case_id"] == case
    assert conflict["fields"]["fields"] == {
        "title": {"base": "Booth 4", "server": "Booth 5", "client": "Booth 6"}
    }
    latest = [c for c in pulled if c["entity"] == "case"][-1]
    assert latest["fields"] == {"title": "Booth 5", "status": "raided", "city": "Shanghai"}
    # Resolving is an ordinary mutation naming the conflict.
    [r] = a.push(
        [
            a.mutation(
                "case",
                case,
                "update",
                base_version=3,
                changes={"title": "Booth 6"},
                resolves_conflict_id=conflict["entity_id"],
            )
        ]
    )
    assert r["status"] == "applied"
    resolved = [c for c in a.pull_all(a.cursor) if c["entity"] == "sync_conflict"]
    assert resolved[-1]["fields"]["resolved"] is True
    assert count(hq_app, Conflict, Conflict.resolved_at.is_(None)) == 0


def test_edit_vs_delete_is_a_conflict_either_way(hq_http: TestClient, hq_app: FastAPI) -> None:
    a, b = _setup(hq_http, hq_app)
    case = a.new_case()
    party = str(uuid.uuid4())
    a.push([a.mutation("party", party, changes={"case_id": case, "name": "Copycat Ltd"})])
    [r] = a.push([a.mutation("party", party, "delete", base_version=1)])
    assert r["status"] == "applied"
    [r] = b.push(
        [b.mutation("party", party, "update", base_version=1, changes={"name": "Copycat"})]
    )
    assert r["status"] == "conflict"
    assert r["server_value"] == {"deleted": True}
    # Never a silent resurrection: the row stays deleted, B's edit is kept in the conflict.
    pulled = a.pull_all()
    rows = [c for c in pulled if c["entity"] == "party"]
    assert rows[-1]["deleted"] is True
    [conflict] = [c for c in pulled if c["entity"] == "sync_conflict"]
    assert conflict["fields"]["fields"]["_deleted"]["client"] == {"name": "Copycat"}

    other = str(uuid.uuid4())
    a.push([a.mutation("party", other, changes={"case_id": case, "name": "Fake Co"})])
    a.push([a.mutation("party", other, "update", base_version=1, changes={"name": "Fake Co."})])
    [r] = b.push([b.mutation("party", other, "delete", base_version=1)])
    assert r["status"] == "conflict"  # never a silent loss of A's edit
    assert [c for c in a.pull_all() if c["entity_id"] == other][-1]["deleted"] is False


def test_rejections_are_per_mutation_and_the_queue_moves_on(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    a, _ = _setup(hq_http, hq_app)
    tenant(hq_app, "Rival")
    rival = device(hq_http, hq_app, "Rival")
    rival_case = rival.new_case()
    case = a.new_case()
    bad = [
        a.mutation("spaceship", str(uuid.uuid4())),
        a.mutation("case", "not-a-uuid"),
        a.mutation("case", str(uuid.uuid4()).upper()),
        a.mutation("note", str(uuid.uuid4()), changes={"text": "no case"}),
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": rival_case, "text": "x"}),
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "Bad Name": 1}),
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "version": 9}),
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": case}, blob_refs=["../etc"]),
        a.mutation("note", str(uuid.uuid4()), "update", base_version=1, changes={"case_id": case}),
        a.mutation("case", rival_case, "update", base_version=1, changes={"title": "mine"}),
        a.mutation("case", case, "update", changes={"title": "no base"}),
        a.mutation("fair", str(uuid.uuid4()), changes={"case_id": case}),
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "x" * 70000}),
    ]
    good = a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "ok"})
    results = a.push([*bad, good])
    assert [r["status"] for r in results] == ["rejected"] * len(bad) + ["applied"]
    assert all(r["reason"] for r in results[:-1])
    # The rival's case answers exactly like a case that does not exist.
    assert results[4]["reason"] == "unknown case"
    assert results[9]["reason"] == "unknown record"
    assert rival.pull_all()[-1]["fields"] == {"title": "t"}
    assert a.push([])[:0] == [] and count(hq_app, Record) == 3


def test_push_for_another_device_is_forbidden(hq_http: TestClient, hq_app: FastAPI) -> None:
    a, b = _setup(hq_http, hq_app)
    response = a.request("POST", "/v1/sync/push", json={"device_id": b.device_id, "mutations": []})
    assert response.status_code == 403


def test_evidence_annotations_are_versioned_and_the_rest_stays_fixed(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    a, b = _setup(hq_http, hq_app)
    case = a.new_case()
    item = str(uuid.uuid4())
    sha = "ab" * 32
    insert = a.mutation(
        "evidence_item", item, changes={"case_id": case, "sha256": sha, "caption": ""}
    )
    assert a.push([insert])[0]["status"] == "applied"

    def edit(
        dev: DeviceClient, changes: dict[str, Any], base: int = 1, op: str = "update"
    ) -> dict[str, Any]:
        m = dev.mutation("evidence_item", item, op=op, base_version=base, changes=changes)
        return dev.push([m])[0]

    assert edit(a, {"case_id": case, "caption": "shelf"})["status"] == "applied"
    fixed = edit(a, {"sha256": "cd" * 32}, base=2)
    assert fixed["status"] == "rejected" and "sha256" in fixed["reason"]
    assert edit(a, {}, base=2, op="delete")["status"] == "rejected"
    clash = edit(b, {"caption": "from b", "hall": "4.1"}, base=1)  # made before seeing "shelf"
    assert clash["status"] == "conflict" and clash["server_value"] == {"caption": "shelf"}
    snapshot = [c for c in b.pull_all() if c["entity"] == "evidence_item"][-1]
    assert snapshot["fields"]["caption"] == "shelf" and snapshot["fields"]["hall"] == "4.1"
    assert snapshot["fields"]["sha256"] == sha
    # The original insert replayed after a re-enrolment still matches (annotations ignored).
    assert (
        a.push([a.mutation("evidence_item", item, changes=insert["changes"])])[0]["status"]
        == "applied"
    )


def test_device_level_custody_needs_no_case_and_stays_in_the_tenant(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    a, _ = _setup(hq_http, hq_app)
    tenant(hq_app, "Other")
    other = device(hq_http, hq_app, "Other")
    event = str(uuid.uuid4())
    [result] = a.push(
        [a.mutation("custody_event", event, changes={"case_id": None, "action": "travel"})]
    )
    assert result["status"] == "applied"
    [missing] = a.push([a.mutation("note", str(uuid.uuid4()), changes={"case_id": None})])
    assert missing["status"] == "rejected"
    assert [c["entity_id"] for c in a.pull_all() if c["entity"] == "custody_event"] == [event]
    assert not [c for c in other.pull_all() if c["entity"] == "custody_event"]


def test_rows_created_and_changed_in_one_push_are_stored_as_they_ended(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    """New rows are written together at the end of a push: later mutations of the same push
    (an edit, a delete, the same photo linked twice) must be in what is stored."""
    a, b = _setup(hq_http, hq_app)
    case, deadline, item = (str(uuid.uuid4()) for _ in range(3))
    digest = "ab" * 32
    results = a.push(
        [
            a.mutation("case", case, changes={"title": "Booth 4", "city": "Milan"}),
            a.mutation("deadline", deadline, changes={"case_id": case, "title": "reply"}),
            a.mutation("case", case, op="update", base_version=1, changes={"title": "Booth 5"}),
            a.mutation("deadline", deadline, op="delete", base_version=1),
            a.mutation(
                "evidence_item",
                item,
                changes={"case_id": case, "sha256": digest, "caption": "stand"},
                blob_refs=[digest],
            ),
            a.mutation(
                "evidence_item",
                item,
                op="update",
                base_version=1,
                changes={"caption": "the stand"},
                blob_refs=[digest],
            ),
        ]
    )
    assert [r["status"] for r in results] == ["applied"] * 6
    assert [r["version"] for r in results] == [1, 1, 2, 2, 1, 2]
    with database(hq_app).reading() as session:
        rows = {r.entity: r for r in session.scalars(select(Record))}
        links = session.scalars(select(BlobLink)).all()
    assert rows["case"].version == 2 and rows["case"].fields == {
        "title": "Booth 5",
        "city": "Milan",
    }
    assert rows["case"].field_versions == {"title": 2, "city": 1}
    assert rows["deadline"].deleted and rows["deadline"].version == 2
    assert rows["evidence_item"].fields["caption"] == "the stand"
    assert [(link.entity_id, link.sha256) for link in links] == [(item, digest)]
    # What another device pulls is the rows' last versions, and editing them goes on from there.
    latest = {(c["entity"], c["entity_id"]): c for c in b.pull_all()}
    assert latest[("case", case)]["version"] == 2 and latest[("deadline", deadline)]["deleted"]
    [edit] = b.push(
        [b.mutation("case", case, op="update", base_version=2, changes={"city": "Rome"})]
    )
    assert edit["status"] == "applied" and edit["version"] == 3


def test_content_hashes_stay_what_earlier_versions_stored() -> None:
    """A retry is told apart from a reused id by the hash HQ stored with the first copy, maybe
    by an earlier version of HQ: how it is computed must never change (values from 2026-12)."""
    note = Mutation(
        mutation_id=7,
        entity="note",
        entity_id="0f8e5c1a-3b2d-4c6e-9a7b-1d2e3f405162",
        op="insert",
        changes={
            "case_id": "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
            "text": "展台 4 号，样品 ×3",
            "n": 1.5,
            "tags": ["a", {"z": None, "b": True}],
        },
        blob_refs=["ab" * 32],
        client_time="2026-12-05T10:00:00+08:00",
    )
    edit = Mutation(
        mutation_id=8,
        entity="case",
        entity_id="5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
        op="update",
        base_version=3,
        changes={"title": "Booth 5"},
        resolves_conflict_id="9d8c7b6a-5f4e-4d3c-8b2a-190817263544",
    )
    assert content_hash(note) == "6764aa2f607a2ef0da72fe2e553f8ff32d7ec31286a977452c65eddb27ad9d20"
    assert content_hash(edit) == "f2aa62074c228db58b5c94559eaa2f26531c5621452071e3eac9b723a97e0e58"
    # Neither the id nor the device's clock is part of it.
    moved = note.model_copy(update={"mutation_id": 9, "client_time": "2026-12-05T02:00:00Z"})
    assert content_hash(moved) == content_hash(note)
