"""Resumable blob uploads: resume, offsets, chunk checksums, whole-file re-hash (both DBs)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from starlette.testclient import TestClient

from sync.protocol import chunk_checksum, digest_of
from sync.server.models import TenantBlob, Upload
from tests.sync.hq_harness import DeviceClient
from tests.sync.server.helpers import count, database, device, tenant


@pytest.fixture(params=["folder", "s3"])
def blob_store(request: pytest.FixtureRequest) -> str:
    """Every test here runs on the folder store and on S3 (moto's server; see conftest)."""
    return str(request.param)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_resume_after_a_cut_and_offset_mismatch(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(300_000)
    digest = digest_of(data)
    assert a.request("HEAD", f"/v1/blobs/{digest}").status_code == 404
    upload = a.start_upload(data)
    assert upload.status_code == 201
    upload_id = upload.json()["upload_id"]
    assert a.patch(upload_id, 0, data[:100_000]).status_code == 204
    # The device lost the connection and its idea of the offset: it asks the server.
    again = a.start_upload(data)
    assert again.status_code == 200 and again.json()["upload_id"] == upload_id
    assert again.json()["offset"] == 100_000
    assert a.request("HEAD", f"/v1/uploads/{upload_id}").headers["upload-offset"] == "100000"
    stale = a.patch(upload_id, 0, data[:100_000])
    assert stale.status_code == 409 and stale.json()["expected"] == 100_000
    assert a.complete(upload_id, digest).status_code == 409  # not all bytes yet
    assert a.request("HEAD", f"/v1/blobs/{digest}").status_code == 404
    assert a.patch(upload_id, 100_000, data[100_000:]).status_code == 204
    done = a.complete(upload_id, digest)
    assert done.status_code == 201 and done.json() == {"digest": digest, "size": len(data)}
    assert a.complete(upload_id, digest).status_code == 201  # idempotent
    assert a.request("HEAD", f"/v1/blobs/{digest}").headers["upload-length"] == str(len(data))
    assert a.request("GET", f"/v1/blobs/{digest}").content == data
    skip = a.start_upload(data)
    assert skip.status_code == 200 and skip.json()["complete"] is True
    assert a.request(
        "POST", "/v1/uploads", headers={"Idempotency-Key": digest, "Upload-Length": "5"}
    ).status_code in (200, 422)


def test_bad_chunk_checksum_is_460_and_discarded(
    hq_http: TestClient, hq_app: FastAPI, tmp_path: Path
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(50_000)
    upload_id = a.start_upload(data).json()["upload_id"]
    assert a.patch(upload_id, 0, data[:20_000]).status_code == 204
    flipped = bytearray(data[20_000:])
    flipped[7] ^= 0x01
    response = a.patch(upload_id, 20_000, bytes(flipped), checksum=chunk_checksum(data[20_000:]))
    assert response.status_code == 460
    assert a.request("HEAD", f"/v1/uploads/{upload_id}").headers["upload-offset"] == "20000"
    [partial] = _files(tmp_path / "hq" / "blobs" / "uploads")
    assert partial.stat().st_size == 20_000  # the bad bytes are gone
    # A malformed header is refused by its published pattern, like every other bad header.
    bad_header = a.patch(upload_id, 20_000, data[20_000:], checksum="md5 abc")
    assert bad_header.status_code == 422
    assert bad_header.json()["detail"][0]["loc"] == ["header", "upload-checksum"]
    assert a.patch(upload_id, 20_000, data[20_000:]).status_code == 204
    assert a.complete(upload_id, digest_of(data)).status_code == 201


def test_digest_mismatch_is_422_and_bytes_are_discarded(
    hq_http: TestClient, hq_app: FastAPI, tmp_path: Path
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    claimed, sent = os.urandom(40_000), os.urandom(40_000)
    digest = digest_of(claimed)
    upload_id = a.start_upload(claimed).json()["upload_id"]
    assert a.patch(upload_id, 0, sent).status_code == 204  # chunk checksums match what was sent
    response = a.complete(upload_id, digest)
    assert response.status_code == 422 and response.json()["error"] == "digest_mismatch"
    assert _files(tmp_path / "hq" / "blobs") == []
    assert a.request("HEAD", f"/v1/blobs/{digest}").status_code == 404
    # The failed upload is over for good: no request can resume or complete it.
    assert a.request("HEAD", f"/v1/uploads/{upload_id}").status_code == 404
    assert a.patch(upload_id, 0, claimed).json()["error"] == "upload_failed"
    assert a.complete(upload_id, digest).status_code == 422
    assert count(hq_app, TenantBlob) == 0
    # The device starts a new upload (a new id). Storage losing the last acknowledged chunk
    # is caught the same way.
    again = a.start_upload(claimed)
    assert again.status_code == 201 and again.json()["upload_id"] != upload_id
    upload_id = again.json()["upload_id"]
    assert a.patch(upload_id, 0, claimed[:30_000]).status_code == 204
    assert a.patch(upload_id, 30_000, claimed[30_000:]).status_code == 204
    [stored] = _files(tmp_path / "hq" / "blobs" / "uploads")
    with stored.open("r+b") as handle:
        handle.truncate(30_000)
    assert a.complete(upload_id, digest).status_code == 422
    a.upload(claimed)
    assert a.request("GET", f"/v1/blobs/{digest}").content == claimed
    # The failed upload was replaced by the new one: its id is unknown now.
    assert a.complete(upload_id, digest).status_code == 404
    live = a.start_upload(b"other bytes").json()["upload_id"]
    assert a.complete(live, digest_of(b"other")).status_code == 422  # not the upload's key


def test_blobs_are_per_tenant_and_deduplicated_on_disk(
    hq_http: TestClient, hq_app: FastAPI, tmp_path: Path
) -> None:
    tenant(hq_app, "Acme")
    tenant(hq_app, "Rival")
    a, r = device(hq_http, hq_app, "Acme"), device(hq_http, hq_app, "Rival")
    data = os.urandom(10_000)
    digest = a.upload(data)
    # Rival cannot learn that Acme holds these bytes, nor read them.
    assert r.request("HEAD", f"/v1/blobs/{digest}").status_code == 404
    assert r.request("GET", f"/v1/blobs/{digest}").status_code == 404
    created = r.start_upload(data)
    assert created.status_code == 201 and created.json()["complete"] is False
    r.upload(data)
    assert r.request("GET", f"/v1/blobs/{digest}").content == data
    assert len(list(hq_app.state.store.object_names())) == 1
    assert count(hq_app, TenantBlob) == 2 and count(hq_app, Upload) == 2
    for bad in ("sha256:../../etc/passwd", "sha256:" + "A" * 64, "md5:abc"):
        assert a.request("HEAD", f"/v1/blobs/{bad}").status_code in (404, 422)


def test_a_client_gone_mid_chunk_is_logged_once_and_the_upload_resumes(
    hq_http: TestClient, hq_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """The connection drops inside a PATCH body: no traceback, the offset stays, resume works."""
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(200_000)
    upload_id = a.start_upload(data).json()["upload_id"]
    assert a.patch(upload_id, 0, data[:50_000]).status_code == 204
    chunk = data[50_000:]
    messages: list[MutableMapping[str, Any]] = [
        {"type": "http.request", "body": chunk[:60_000], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    headers = {
        **a.auth,
        "Upload-Offset": "50000",
        "Upload-Checksum": chunk_checksum(chunk),
        "Content-Length": str(len(chunk)),
    }
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PATCH",
        "scheme": "http",
        "path": f"/v1/uploads/{upload_id}",
        "raw_path": f"/v1/uploads/{upload_id}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    with caplog.at_level(logging.INFO, logger="sync.server.routes.blobs"):
        asyncio.run(hq_app(scope, receive, send))  # raises if the disconnect escapes
    assert [r.levelno for r in caplog.records if "went away" in r.getMessage()] == [logging.INFO]
    assert not [r for r in caplog.records if r.exc_info]
    assert a.request("HEAD", f"/v1/uploads/{upload_id}").headers["upload-offset"] == "50000"
    assert a.patch(upload_id, 50_000, chunk).status_code == 204
    assert a.complete(upload_id, digest_of(data)).status_code == 201
    assert a.request("GET", f"/v1/blobs/{digest_of(data)}").content == data


def _patch_completing(
    a: DeviceClient, upload_id: str, offset: int, chunk: bytes, digest: str
) -> httpx.Response:
    return a.request(
        "PATCH",
        f"/v1/uploads/{upload_id}",
        content=chunk,
        headers={
            "Upload-Offset": str(offset),
            "Upload-Checksum": chunk_checksum(chunk),
            "Upload-Complete": digest,
            "Content-Type": "application/offset+octet-stream",
        },
    )


def test_the_last_chunk_can_complete_the_upload_and_is_still_verified(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    # One chunk from offset 0: verified with the digest computed while writing.
    whole = os.urandom(120_000)
    upload_id = a.start_upload(whole).json()["upload_id"]
    done = _patch_completing(a, upload_id, 0, whole, digest_of(whole))
    assert done.status_code == 201, done.text
    assert done.json() == {"digest": digest_of(whole), "size": len(whole)}
    assert a.request("GET", f"/v1/blobs/{digest_of(whole)}").content == whole
    # Several chunks: the completing PATCH re-hashes the stored file; storage damaged in
    # between the chunks is caught and the bytes are discarded.
    data = os.urandom(200_000)
    upload_id = a.start_upload(data).json()["upload_id"]
    assert a.patch(upload_id, 0, data[:100_000]).status_code == 204
    [part] = _files(hq_app.state.store.uploads)
    part.write_bytes(bytes(100_000))  # the disk lost what it had acknowledged
    bad = _patch_completing(a, upload_id, 100_000, data[100_000:], digest_of(data))
    assert bad.status_code == 422
    assert a.request("HEAD", f"/v1/blobs/{digest_of(data)}").status_code == 404
    assert a.request("HEAD", f"/v1/uploads/{upload_id}").status_code == 404
    upload_id = a.start_upload(data).json()["upload_id"]  # a new upload from offset 0
    assert a.patch(upload_id, 0, data[:100_000]).status_code == 204
    good = _patch_completing(a, upload_id, 100_000, data[100_000:], digest_of(data))
    assert good.status_code == 201
    assert a.request("GET", f"/v1/blobs/{digest_of(data)}").content == data
    # A completing digest that is not the upload's key is refused; nothing becomes visible.
    other = os.urandom(1000)
    upload_id = a.start_upload(other).json()["upload_id"]
    wrong = _patch_completing(a, upload_id, 0, other, digest_of(b"something else"))
    assert wrong.status_code == 422
    assert a.request("HEAD", f"/v1/blobs/{digest_of(other)}").status_code == 404


def test_a_whole_file_that_is_not_the_announced_one_is_422_and_nothing_is_kept(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    """The one-commit path (whole file, offset 0, Upload-Complete) still checks the bytes."""
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(50_000)
    upload_id = a.start_upload(data).json()["upload_id"]
    other = os.urandom(len(data))  # right length and chunk checksum, wrong file
    bad = _patch_completing(a, upload_id, 0, other, digest_of(data))
    assert bad.status_code == 422
    assert a.request("HEAD", f"/v1/blobs/{digest_of(data)}").status_code == 404
    assert a.request("HEAD", f"/v1/uploads/{upload_id}").status_code == 404
    assert _files(hq_app.state.store.uploads) == []
    assert _patch_completing(a, upload_id, 0, data, digest_of(data)).status_code == 409
    upload_id = a.start_upload(data).json()["upload_id"]
    good = _patch_completing(a, upload_id, 0, data, digest_of(data))
    assert good.status_code == 201
    assert a.request("GET", f"/v1/blobs/{digest_of(data)}").content == data
    again = _patch_completing(a, upload_id, 0, data, digest_of(data))
    assert again.status_code == 409  # complete: a resent last chunk changes nothing


def _set_upload(app: FastAPI, upload_id: str, **values: Any) -> None:
    with database(app).writing() as session:
        session.execute(update(Upload).where(Upload.id == upload_id).values(**values))


def test_an_interrupted_verification_is_redone_from_the_uploads_own_bytes(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    """A server killed mid-verification leaves `verifying`: the retry hashes the upload's own
    bytes again. If those bytes are gone, an object of the same name (another tenant's) is never
    taken as proof: the upload fails and the device starts again (finding 1, deterministic)."""
    tenant(hq_app, "Acme")
    tenant(hq_app, "Rival")
    a, r = device(hq_http, hq_app, "Acme"), device(hq_http, hq_app, "Rival")
    data = os.urandom(120_000)
    digest = digest_of(data)
    upload_id = a.start_upload(data).json()["upload_id"]
    assert a.patch(upload_id, 0, data).status_code == 204
    _set_upload(hq_app, upload_id, state="verifying")  # killed while hashing
    assert a.complete(upload_id, digest).status_code == 201
    assert a.request("GET", f"/v1/blobs/{digest}").content == data
    # Rival announces the same digest, sends every byte as zeros, and its file then vanishes
    # (what a failed check used to leave): A's object must not complete Rival's upload.
    theirs = r.start_upload(data).json()["upload_id"]
    assert r.patch(theirs, 0, bytes(len(data))).status_code == 204
    for part in _files(hq_app.state.store.uploads):
        part.unlink()
    refused = r.complete(theirs, digest)
    assert refused.status_code == 422 and refused.json()["error"] == "digest_mismatch"
    assert r.request("GET", f"/v1/blobs/{digest}").status_code == 404
    assert r.complete(theirs, digest).status_code == 422  # still over on a retry
    assert count(hq_app, TenantBlob) == 1
