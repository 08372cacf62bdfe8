"""Issue 21 against a real `fairdesk-hq serve` subprocess (both databases): hostile payloads,
NUL and lone surrogates, an unexpected 500, silent and slow connections and huge headers —
every answer is the server's own (marker header, JSON), never a 500 for bad input."""

from __future__ import annotations

import json
import re
import socket
import uuid
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from sync.protocol import SERVER_HEADER, is_server_response
from sync.server.db import open_database
from tests.sync.hq_harness import DeviceClient, LiveHq, live_hq

HEADER_TIMEOUT = "1"


@pytest.fixture
def guarded(hq_db_url: str, tmp_path: Path) -> Iterator[LiveHq]:
    """A live server with a one-second header deadline (the default is 20 s)."""
    env = {"FAIRDESK_HQ_HEADER_TIMEOUT_SECONDS": HEADER_TIMEOUT}
    with live_hq(hq_db_url, tmp_path / "hq", env=env) as server:
        yield server


def _own_json(response: httpx.Response) -> dict:  # type: ignore[type-arg]
    assert is_server_response(response.headers), (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    body = json.loads(response.content.decode("utf-8"))
    assert isinstance(body, dict)
    return body


def _push_text(dev: DeviceClient, mutations: list[str]) -> httpx.Response:
    body = '{"device_id": "' + dev.device_id + '", "mutations": [' + ", ".join(mutations) + "]}"
    return dev.request(
        "POST", "/v1/sync/push", content=body, headers={"Content-Type": "application/json"}
    )


def test_hostile_payloads_never_break_a_real_server(live_server: LiveHq) -> None:
    hq = live_server
    hq.add_tenant("Acme")
    hq.add_tenant("Centre", "guidance")
    with hq.client() as http:
        legal = hq.enroll_device(http, "Acme", "legal")
        case = legal.new_case()
        deep: object = {"leaf": 1}
        for _ in range(300):
            deep = {"n": deep}

        def note(raw_member: str) -> str:
            m = legal.mutation("note", str(uuid.uuid4()))
            text_ = json.dumps(m)
            return text_.replace(
                '"changes": {}', '"changes": {"case_id": "' + case + '", ' + raw_member + "}"
            )

        hostile = [
            note('"body": ' + json.dumps(deep)),
            note('"text": "a\\ud800b"'),
            note('"amount": NaN'),
            note('"amount": 1e999'),
            note('"text": "nul\\u0000"'),
        ]
        response = _push_text(legal, hostile)
        assert response.status_code == 200, response.text
        assert [r["status"] for r in _own_json(response)["results"]] == ["rejected"] * 5
        # The outbox moves on: the next id is applied (no 500, no 409 gap).
        [ok] = legal.push([legal.mutation("note", str(uuid.uuid4()), changes={"case_id": case})])
        assert ok["status"] == "applied"
        assert len(legal.pull_all()) == 2
        # NUL in text fields and ids → 422, the server's own answer, never a 500.
        code = hq.enroll_code("Acme")
        answers = [
            http.post("/v1/devices/enroll", json={"enroll_code": code, "device_name": "pc\x00"}),
            legal.request(
                "POST", f"/v1/cases/{case}/escalate", json={"guidance_centre": "Centre\x00"}
            ),
            legal.request("GET", "/v1/cases/%00"),
            legal.request("POST", "/v1/devices/%00/revoke"),
            http.post(
                "/v1/auth/token",
                content=b'{"device_id": "\\ud800", "refresh_token": "x"}',
                headers={"Content-Type": "application/json"},
            ),
        ]
        for answer in answers:
            assert answer.status_code == 422, (answer.request.url, answer.text)
            assert b"\\u0000" not in answer.content and b"\\ud800" not in answer.content
            _own_json(answer)
        ack = legal.mutation("alert_ack", str(uuid.uuid4()), changes={"user": "li\x00"})
        assert legal.push([ack])[0]["status"] == "rejected"
        assert DeviceClient.enroll(http, code).device_id  # the code was not used up


def test_an_unexpected_error_of_a_real_server_is_its_own_json(live_server: LiveHq) -> None:
    hq = live_server
    hq.add_tenant("Acme")
    db = open_database(hq.db_url)
    try:
        with hq.client() as http:
            laptop = hq.enroll_device(http, "Acme")
            with db.engine.begin() as conn:  # an operator's mistake: a table gone missing
                conn.execute(text("ALTER TABLE tenant_sequences RENAME TO seq_away"))
            try:
                broken = laptop.request("GET", "/v1/sync/pull")
            finally:
                with db.engine.begin() as conn:
                    conn.execute(text("ALTER TABLE seq_away RENAME TO tenant_sequences"))
            assert broken.status_code == 500
            assert _own_json(broken)["error"] == "internal_error"
            assert "tenant_sequences" not in broken.text  # no internals in the answer
            assert broken.headers["connection"] == "close"  # uvicorn closes it after an error
            assert laptop.request("GET", "/v1/sync/pull").status_code == 200
    finally:
        db.dispose()


def _connect(server: LiveHq) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (the 30 s socket timeout bounds the wait)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_silent_slow_and_oversized_headers_are_cut_off(guarded: LiveHq) -> None:
    hq = guarded
    hq.add_tenant("Acme")
    with hq.client() as http:
        laptop = hq.enroll_device(http, "Acme")
        case = laptop.new_case()
        silent = [_connect(hq) for _ in range(20)]
        slow = _connect(hq)
        slow.sendall(b"GET /v1/health HTTP/1.1\r\nHost: hq\r\nX-Slow: ")
        # A push whose headers are complete but whose body is still on its way must not be cut.
        body = json.dumps(
            {
                "device_id": laptop.device_id,
                "mutations": [
                    laptop.mutation("note", str(uuid.uuid4()), changes={"case_id": case})
                ],
            }
        ).encode()
        uploading = _connect(hq)
        uploading.sendall(
            b"POST /v1/sync/push HTTP/1.1\r\nHost: hq\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {laptop.access_token}\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        try:
            # Every silent connection is closed by the server (EOF, no answer needed).
            for sock in silent:
                assert _read_until_closed(sock) == b""
            # The slow one (part of a request) gets a 408 from the server itself.
            answer = _read_until_closed(slow)
            assert answer.startswith(b"HTTP/1.1 408 ")
            assert SERVER_HEADER.lower().encode() in answer.lower()
            # The deadline has passed for all of them; the push body may now finish.
            uploading.sendall(body[10:])
            reply = uploading.recv(65536)
            assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]
        finally:
            for sock in [*silent, slow, uploading]:
                sock.close()
        # Headers over the cap: the server's own JSON 431, not a reset or a plain-text 400.
        with closing(_connect(hq)) as huge:
            huge.sendall(
                b"GET /v1/health HTTP/1.1\r\nHost: hq\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n"
            )
            answer = _read_until_closed(huge)
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 431 ")
        assert SERVER_HEADER.lower().encode() in head.lower()
        assert json.loads(payload)["error"] == "headers_too_large"
        # Ordinary traffic, keep-alive included, is untouched.
        for _ in range(3):
            assert laptop.request("GET", "/v1/sync/pull").status_code == 200
        big_but_fine = laptop.request("GET", "/v1/sync/pull", headers={"X-Note": "b" * 8000})
        assert big_but_fine.status_code == 200


def test_a_body_sent_right_behind_the_previous_request_is_never_taken_for_headers(
    live_server: LiveHq,
) -> None:
    """Keep-alive with the next request already on its way (pipelined, or sent the instant the
    previous answer left): its body was counted as headers once the previous response completed,
    and a large upload got 431 `headers_too_large` (seen about once in ten drains)."""
    hq = live_server
    hq.add_tenant("Acme")
    body = b"x" * 300_000  # several socket reads: some arrive after the first answer is done
    request = (
        b"POST /v1/devices/enroll HTTP/1.1\r\nHost: hq\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with closing(_connect(hq)) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: hq\r\n\r\n" + request)
        answers = b""
        with suppress(ConnectionResetError):  # a server that closes early resets the rest
            while len(re.findall(rb"HTTP/1\.1 \d{3} ", answers)) < 2 and (
                chunk := sock.recv(65536)
            ):
                answers += chunk
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answers)
    assert statuses[0] == b"200"
    assert b"431" not in statuses, answers[:600]
    assert len(statuses) == 2  # the second request was read as a request, whatever its answer
