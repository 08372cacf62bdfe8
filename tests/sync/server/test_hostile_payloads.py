"""Issue 21, findings 3 and 5 and the error-answer rules: a hostile or broken device's payload is
rejected per mutation (never stored), nothing it sends can make HQ answer 500, and every error
is the server's own JSON answer with the marker header (both databases)."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.protocol import MAX_CHANGES_DEPTH, is_server_response
from sync.server import admin
from sync.server.db import advance_streams, lock_streams
from sync.server.models import ChangeLog, Record, utcnow
from tests.sync.hq_harness import DeviceClient
from tests.sync.server.helpers import count, database, device, tenant


def _nested(levels: int) -> dict[str, Any]:
    """A `changes`-style object whose innermost container is at depth `levels` (itself = 1)."""
    inner: Any = {"leaf": "x"}
    for _ in range(levels - 1):
        inner = {"n": inner}
    return inner  # type: ignore[no-any-return]


def _push_text(dev: DeviceClient, mutations_json: str) -> Any:
    """Push a hand-written JSON array of mutations (NaN, 1e999 and escapes as the device sent)."""
    body = '{"device_id": "' + dev.device_id + '", "mutations": ' + mutations_json + "}"
    return dev.request(
        "POST", "/v1/sync/push", content=body, headers={"Content-Type": "application/json"}
    )


def _note(dev: DeviceClient, case: str, extra_json: str) -> str:
    m = dev.mutation("note", str(uuid.uuid4()), changes={"case_id": case})
    text = json.dumps(m)
    # Splice raw JSON members into changes: `{"case_id": "..."}` → `{"case_id": "...", <extra>}`.
    return text.replace(f'"case_id": "{case}"}}', f'"case_id": "{case}", {extra_json}}}')


def test_non_canonical_changes_are_rejected_per_mutation_and_never_stored(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    case = a.new_case()
    rows_before = count(hq_app, ChangeLog)
    deep = json.dumps(_nested(MAX_CHANGES_DEPTH))  # the documented limit: accepted
    too_deep = json.dumps(_nested(MAX_CHANGES_DEPTH + 1))
    very_deep = json.dumps(_nested(300))  # what broke pull for the whole tenant
    bad_members = [
        f'"body": {too_deep}',
        f'"body": {very_deep}',
        '"amount": NaN',
        '"amount": Infinity',
        '"amount": -Infinity',
        '"amount": 1e999',
        '"list": [1, 2, {"x": -1e400}]',
        '"text": "a\\ud800b"',
        '"text": "\\udfff"',
        '"\\ud800": "key"',
        '"text": "a\\u0000b"',
        '"text": ["ok", "nul \\u0000 inside"]',
    ]
    batch = [_note(a, case, member) for member in bad_members]
    good_deep = a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, **_nested(31)})
    good_deep["changes"] = {"case_id": case, "body": json.loads(deep)["n"]}
    good = a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "text": "fine 好"})
    response = _push_text(
        a, "[" + ", ".join([*batch, json.dumps(good_deep), json.dumps(good)]) + "]"
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    statuses = [r["status"] for r in results]
    assert statuses == ["rejected"] * len(bad_members) + ["applied", "applied"], results
    reasons = [r["reason"] for r in results[: len(bad_members)]]
    assert all(f"deeper than {MAX_CHANGES_DEPTH}" in r for r in reasons[:2])
    assert all("finite" in r for r in reasons[2:7])
    assert all("Unicode" in r for r in reasons[7:10])
    assert all("NUL" in r for r in reasons[10:])
    # Rejections are stored as outcomes only: two notes (plus the case) and nothing else.
    assert count(hq_app, ChangeLog) == rows_before + 2
    assert count(hq_app, Record) == 3
    pulled = a.pull_all()
    assert [c["fields"].get("text") for c in pulled if c["entity"] == "note"] == [None, "fine 好"]
    # The queue moved on: the next mutation id is expected, no gap, no 500 on retry.
    again = _push_text(a, "[" + ", ".join([*batch, json.dumps(good_deep), json.dumps(good)]) + "]")
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * len(statuses)
    assert (
        a.push([a.mutation("note", str(uuid.uuid4()), changes={"case_id": case})])[0]["status"]
        == "applied"
    )


def test_bad_text_outside_changes_is_rejected_per_mutation(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    with database(hq_app).writing() as session:
        alert = admin.publish_alert(session, "Customs raids", "Hall 3", "info", None, None).id
    case = a.new_case()
    mutations = [
        # Alert acknowledgements bypass the record path: their text is checked all the same.
        a.mutation(
            "alert_ack",
            alert,
            changes={"alert_id": alert, "user": "nul\x00user", "acknowledged_at": ""},
        ),
        a.mutation("alert_ack", alert + "\x00", changes={}),
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": case}, client_time="\x00"),
        a.mutation("spaceship\x00", str(uuid.uuid4())),
        a.mutation(
            "note", str(uuid.uuid4()), changes={"case_id": case}, resolves_conflict_id="\x00"
        ),
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": case}, blob_refs=["\x00"]),
    ]
    response = _push_text(a, json.dumps(mutations))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * len(mutations)
    assert all(r["reason"] and "\x00" not in r["reason"] for r in results)
    # A lone surrogate in a typed string of a mutation is rejected with that mutation alone
    # (it was a 422 for the whole push: the device's queue stuck behind it), never repeated.
    for field in ("entity", "entity_id", "client_time", "resolves_conflict_id"):
        m = a.mutation("note", str(uuid.uuid4()), changes={"case_id": case})
        m[field] = "x\ud800"
        after = a.mutation("note", str(uuid.uuid4()), changes={"case_id": case})
        answer = _push_text(a, json.dumps([m, after]))
        assert answer.status_code == 200, answer.text
        assert b"\\ud800" not in answer.content.lower()
        rejected, applied = answer.json()["results"]
        assert rejected["status"] == "rejected", rejected
        assert rejected["reason"].startswith(field) and "Unicode" in rejected["reason"]
        assert applied["status"] == "applied"
        again = _push_text(a, json.dumps([m, after]))
        assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    ok = a.mutation("alert_ack", alert, changes={"alert_id": alert, "user": "li"})
    assert a.push([ok])[0]["status"] == "applied"


def test_lone_surrogate_or_nul_in_a_validated_field_is_422_without_echo(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme", "company")
    legal = device(hq_http, hq_app, "Acme", "legal")
    case = legal.new_case()
    with database(hq_app).writing() as session:
        code = admin.make_enroll_code(session, "Acme", None, timedelta(hours=1))

    def post(url: str, body: str, **headers: str) -> Any:
        return hq_http.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}
        )

    answers = [
        post("/v1/devices/enroll", '{"enroll_code": "' + code + '", "device_name": "a\\ud800"}'),
        post("/v1/devices/enroll", '{"enroll_code": "' + code + '", "device_name": "a\\u0000"}'),
        post("/v1/devices/enroll", '{"enroll_code": "\\udc00", "device_name": ""}'),
        post("/v1/auth/token", '{"device_id": "\\ud800", "refresh_token": "x"}'),
        post("/v1/auth/token", '{"device_id": "x", "refresh_token": "\\u0000"}'),
        post(
            "/v1/sync/push",
            '{"device_id": "\\ud800", "mutations": []}',
            **legal.auth,
        ),
        post(
            f"/v1/cases/{case}/escalate",
            '{"guidance_centre": "Centre\\u0000"}',
            **legal.auth,
        ),
        post(f"/v1/cases/{case}/escalate", '{"guidance_centre": "\\ud800"}', **legal.auth),
        # Ids in the address: NUL cannot reach a PostgreSQL query.
        legal.request("GET", "/v1/cases/%00"),
        legal.request("GET", f"/v1/cases/{case}%00"),
        legal.request("POST", "/v1/devices/%00abc/revoke"),
        legal.request("HEAD", "/v1/uploads/%00"),
        legal.request("GET", "/v1/sync/pull?cursor=%00"),
    ]
    for response in answers:
        assert response.status_code == 422, (response.request.url, response.text)
        assert is_server_response(response.headers)
        raw = response.content
        raw.decode("utf-8")  # always encodable
        assert b"\\ud800" not in raw.lower() and b"\\udc00" not in raw.lower()
        assert b"\\u0000" not in raw and b"\x00" not in raw
        if response.request.method != "HEAD":
            assert isinstance(response.json(), dict)
    # The enrolment code was not used up by the refused attempts.
    assert DeviceClient.enroll(hq_http, code).device_id


def test_pull_skips_and_logs_a_stored_row_it_cannot_send(
    hq_http: TestClient, hq_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    case = a.new_case()
    # A row stored by an older server, before changes were checked on the way in.
    poison = {"case_id": case, **_nested(300)}
    note_id = str(uuid.uuid4())
    with database(hq_app).writing() as session:
        heads = lock_streams(session, {a.tenant_id})
        seq = heads[a.tenant_id] + 1
        advance_streams(session, heads, {a.tenant_id: seq})
        session.add(
            ChangeLog(
                stream_id=a.tenant_id,
                server_seq=seq,
                tenant_id=a.tenant_id,
                entity="note",
                entity_id=note_id,
                case_id=case,
                version=1,
                fields=poison,
                deleted=False,
                device_id=a.device_id,
                mutation_id=99,
                created_at=utcnow(),
            )
        )
        session.add(
            Record(
                tenant_id=a.tenant_id,
                entity="note",
                entity_id=note_id,
                case_id=case,
                version=1,
                fields=poison,
                field_versions={},
                deleted=False,
                updated_seq=seq,
            )
        )
    a.new_case(title="after")
    with caplog.at_level(logging.ERROR, logger="sync.server.pull"):
        for limit in (1, 500):
            response = a.request("GET", "/v1/sync/pull", params={"cursor": 0, "limit": limit})
            assert response.status_code == 200, response.text
        pulled = a.pull_all(limit=1)
    assert [c["fields"].get("title") for c in pulled] == ["t", "after"]
    assert a.cursor > seq  # the cursor moved past the row instead of sticking on it
    view = a.request("GET", f"/v1/cases/{case}")  # the case view skips it the same way
    assert view.status_code == 200 and [r["entity"] for r in view.json()["records"]] == ["case"]
    assert f"change {seq} " in caplog.text and "skipped" in caplog.text


def test_an_unexpected_error_is_json_with_the_marker_header(hq_app: FastAPI) -> None:
    @hq_app.get("/v1/_boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(hq_app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        response = client.get("/v1/_boom")
    assert response.status_code == 500
    assert is_server_response(response.headers)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "internal_error"
    assert "a bug" not in response.text


def test_reference_data_that_devices_could_not_receive_is_refused(hq_app: FastAPI) -> None:
    with database(hq_app).writing() as session:
        for bad in (
            {"x": float("nan")},
            {"t": "a\ud800"},
            {"t": "nul\x00"},
            _nested(65),
        ):
            with pytest.raises(admin.AdminError, match="cannot be published"):
                admin.publish_reference(session, "law", "k", bad, None)
        admin.publish_reference(session, "law", "k", {"title": "专利法", **_nested(30)}, None)
