"""Issue 21, findings 1, 2 and 7a: uploads raced by a hostile or impatient device.

Real `fairdesk-hq serve` subprocesses on SQLite and PostgreSQL, real threads released together by a
barrier, enough rounds that the old code failed almost surely (finding 1: first round on SQLite,
7 of 10 on PostgreSQL; finding 2: about one round in three).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from sync.protocol import UPLOAD_COMPLETE, chunk_checksum, digest_of
from tests.sync.hq_harness import DeviceClient, LiveHq, put_object, stored_objects

# The database's row locking matters in these races: S3 runs on PostgreSQL here too.
pytestmark = pytest.mark.s3_postgres

T = TypeVar("T")


@pytest.fixture(params=["folder", "s3"])
def blob_store(request: pytest.FixtureRequest) -> str:
    """Every test here runs on the folder store and on S3 (moto's server; see conftest)."""
    return str(request.param)


def together(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls on their own threads, released at the same moment."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _objects(hq: LiveHq) -> dict[str, bytes]:
    return stored_objects(hq.store())


def _assert_json_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]


def _racing_completes(
    hq: LiveHq, device: DeviceClient, upload_id: str, digest: str, count: int
) -> list[httpx.Response]:
    with hq.client() as racer:
        return together(
            [
                lambda: racer.post(
                    f"/v1/uploads/{upload_id}/complete",
                    params={"digest": digest},
                    headers=device.auth,
                )
                for _ in range(count)
            ]
        )


def test_a_failed_digest_check_never_completes_for_a_racing_complete(live_server: LiveHq) -> None:
    """Finding 1: tenant B claims A's digest, sends zeros, and fires 8 /complete at once."""
    hq = live_server
    hq.add_tenant("Acme")
    hq.add_tenant("Rival")
    with hq.client() as http_a, hq.client() as http_b:
        a = hq.enroll_device(http_a, "Acme")
        rival = [hq.enroll_device(http_b, "Rival") for _ in range(8)]
        for round_no in range(10):
            secret = os.urandom(64 * 1024 + round_no)
            digest = a.upload(secret)
            b = rival[round_no % len(rival)]
            created = b.start_upload(secret)  # Idempotency-Key and length of A's blob
            assert created.status_code == 201 and created.json()["complete"] is False
            upload_id = created.json()["upload_id"]
            zeros = bytes(len(secret))
            assert b.patch(upload_id, 0, zeros).status_code == 204
            answers = _racing_completes(hq, b, upload_id, digest, 8)
            assert [r.status_code for r in answers if r.status_code < 300] == []
            for response in answers:
                _assert_json_error(response)
            assert b.request("GET", f"/v1/blobs/{digest}").status_code == 404
            assert b.request("HEAD", f"/v1/blobs/{digest}").status_code == 404
            leftovers = [Path(hq.data_dir) / "blobs" / d for d in ("uploads", "locks")]
            assert [p for d in leftovers for p in d.iterdir()] == []  # zeros and locks gone
            # The failed upload cannot be finished later either; a new upload works as usual.
            assert b.complete(upload_id, digest).status_code in (404, 409, 422)
            assert b.upload(secret) == digest
            assert b.request("GET", f"/v1/blobs/{digest}").content == secret
            assert a.request("GET", f"/v1/blobs/{digest}").content == secret


def _whole_patch(
    http: httpx.Client, device: DeviceClient, upload_id: str, body: bytes, digest: str
) -> httpx.Response:
    return http.patch(
        f"/v1/uploads/{upload_id}",
        content=body,
        headers={
            **device.auth,
            "Upload-Offset": "0",
            "Upload-Checksum": chunk_checksum(body),
            UPLOAD_COMPLETE: digest,
            "Content-Type": "application/offset+octet-stream",
        },
    )


def _patch_empty(http: httpx.Client, device: DeviceClient, upload_id: str) -> httpx.Response:
    return http.patch(
        f"/v1/uploads/{upload_id}",
        content=b"",
        headers={
            **device.auth,
            "Upload-Offset": "0",
            "Upload-Checksum": chunk_checksum(b""),
            "Content-Type": "application/offset+octet-stream",
        },
    )


def _complete_while_truncated(
    hq: LiveHq, device: DeviceClient, upload_id: str, data: bytes
) -> tuple[httpx.Response, list[int], httpx.Response]:
    """The whole file with Upload-Complete, while empty PATCHes at offset 0 keep coming."""
    finished = threading.Event()
    truncations: list[int] = []

    def complete() -> httpx.Response:
        with hq.client() as own:
            try:
                return _whole_patch(own, device, upload_id, data, digest_of(data))
            finally:
                finished.set()

    def truncate() -> httpx.Response:
        # Bounded: stops at the completing PATCH's answer or after 200 attempts.
        with hq.client() as own:
            response = _patch_empty(own, device, upload_id)
            while not finished.is_set() and len(truncations) < 200:
                truncations.append(response.status_code)
                response = _patch_empty(own, device, upload_id)
            return response

    done, last = together([complete, truncate])
    return done, truncations, last


def test_a_racing_patch_cannot_empty_a_completing_upload(live_server: LiveHq) -> None:
    """Finding 2: a second PATCH (empty body, offset 0) keeps arriving while the whole-file PATCH
    with Upload-Complete finishes; every 201 must mean the object holds exactly the file."""
    hq = live_server
    hq.add_tenant("Acme")
    with hq.client() as http:
        device = hq.enroll_device(http, "Acme")
        for round_no in range(40):
            data = os.urandom(256 * 1024 + round_no)
            digest = digest_of(data)
            upload_id = device.start_upload(data).json()["upload_id"]
            done, truncations, last = _complete_while_truncated(hq, device, upload_id, data)
            assert all(code < 500 for code in [*truncations, last.status_code])
            if done.status_code == 201:
                assert _objects(hq)[digest.removeprefix("sha256:")] == data, f"round {round_no}"
                assert device.request("GET", f"/v1/blobs/{digest}").content == data
            else:
                _assert_json_error(done)
                assert device.upload(data) == digest
                assert device.request("GET", f"/v1/blobs/{digest}").content == data


def test_a_wrong_existing_object_is_replaced_by_verified_bytes(live_server: LiveHq) -> None:
    """Finding 2, last part: an object damaged on disk (as the race above left a 0-byte one) is
    re-hashed before it is trusted; another tenant's correct upload replaces it."""
    hq = live_server
    hq.add_tenant("Acme")
    hq.add_tenant("Rival")
    with hq.client() as http:
        a, r = hq.enroll_device(http, "Acme"), hq.enroll_device(http, "Rival")
        data = os.urandom(300_000)
        sha = hashlib.sha256(data).hexdigest()
        a.upload(data)
        put_object(hq.store(), sha, b"")  # what the race used to leave behind
        whole = r.start_upload(data).json()["upload_id"]
        assert _whole_patch(http, r, whole, data, digest_of(data)).status_code == 201
        assert _objects(hq)[sha] == data
        assert a.request("GET", f"/v1/blobs/sha256:{sha}").content == data
        # The same through chunks and /complete (the re-hash path).
        put_object(hq.store(), sha, bytes(len(data)))
        hq.add_tenant("Third")
        t = hq.enroll_device(http, "Third")
        assert t.upload(data, chunk_size=100_000) == digest_of(data)
        assert _objects(hq)[sha] == data
        assert t.request("GET", f"/v1/blobs/sha256:{sha}").content == data


def test_two_honest_completes_at_once_never_answer_500(live_server: LiveHq) -> None:
    """Finding 7a: the same device retries /complete while the first is still running."""
    hq = live_server
    hq.add_tenant("Acme")
    with hq.client() as http:
        device = hq.enroll_device(http, "Acme")
        for round_no in range(10):
            data = os.urandom(512 * 1024 + round_no)
            digest = digest_of(data)
            upload_id = device.start_upload(data).json()["upload_id"]
            assert device.patch(upload_id, 0, data[:200_000]).status_code == 204
            assert device.patch(upload_id, 200_000, data[200_000:]).status_code == 204
            answers = _racing_completes(hq, device, upload_id, digest, 4)
            codes = sorted(r.status_code for r in answers)
            assert 201 in codes, codes
            for response in answers:
                if response.status_code == 201:
                    assert response.json() == {"digest": digest, "size": len(data)}
                else:
                    assert response.status_code == 409, response.text
                    _assert_json_error(response)
            assert device.complete(upload_id, digest).status_code == 201
            assert device.request("GET", f"/v1/blobs/{digest}").content == data


def _complete(
    http: httpx.Client, device: DeviceClient, upload_id: str, digest: str
) -> httpx.Response:
    return http.post(
        f"/v1/uploads/{upload_id}/complete", params={"digest": digest}, headers=device.auth
    )


def test_the_same_bytes_completed_by_many_devices_at_once(live_server: LiveHq) -> None:
    """Finding 7a, the wider case: devices of one tenant and of others finish uploads of the same
    bytes at the same moment (blob rows inserted concurrently): every one gets 201 or a clean
    409 it can retry, the object is exact, and each tenant holds the blob once."""
    hq = live_server
    for name in ("Acme", "Rival"):
        hq.add_tenant(name)
    with hq.client() as http:
        devices = [hq.enroll_device(http, name) for name in ("Acme", "Acme", "Rival", "Rival")]
        for round_no in range(5):
            data = os.urandom(200_000 + round_no)
            digest = digest_of(data)
            ids = []
            for device in devices:
                upload_id = device.start_upload(data).json()["upload_id"]
                assert device.patch(upload_id, 0, data).status_code == 204
                ids.append(upload_id)
            with hq.client() as racer:
                answers = together(
                    [
                        partial(_complete, racer, device, upload_id, digest)
                        for device, upload_id in zip(devices, ids, strict=True)
                    ]
                )
            assert {r.status_code for r in answers} <= {201, 409}, [r.text for r in answers]
            for device, upload_id, response in zip(devices, ids, answers, strict=True):
                if response.status_code == 409:
                    assert device.complete(upload_id, digest).status_code == 201
                assert device.request("GET", f"/v1/blobs/{digest}").content == data
            assert _objects(hq)[digest.removeprefix("sha256:")] == data
