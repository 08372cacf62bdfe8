"""The S3 store sends an upload's parts to S3 while the PATCHes arrive (not a second transfer
after verification), and keeps the state machine's guarantees: nothing is visible before the
digest is verified, a mismatch aborts the multipart upload and records no blob, parts whose bytes
were never acknowledged are not used, and a part S3 holds with other bytes fails the completion
(then the verified staged file is sent whole). Runs on moto's S3 server (see conftest).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.protocol import chunk_checksum, digest_of
from sync.server.models import TenantBlob
from sync.server.s3store import PART_BYTES, S3BlobStore
from tests.sync.server.helpers import count, device, tenant

MIB = 1024 * 1024


@pytest.fixture
def blob_store() -> str:
    return "s3"


def _store(app: FastAPI) -> S3BlobStore:
    store = app.state.store
    assert isinstance(store, S3BlobStore)
    return store


def _open_multipart(store: S3BlobStore) -> list[Any]:
    listed = store.client.list_multipart_uploads(Bucket=store.bucket)
    return list(listed.get("Uploads", []))


def _body(store: S3BlobStore, sha: str) -> bytes:
    with store.open_object(sha) as handle:
        return handle.read()


def test_parts_reach_s3_during_the_patches_and_the_object_only_after_verification(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    store = _store(hq_app)
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(2 * PART_BYTES + 5 * MIB)
    digest = digest_of(data)
    sha = digest.removeprefix("sha256:")
    upload_id = a.start_upload(data).json()["upload_id"]
    # 5 MiB PATCHes: parts straddle PATCH boundaries (a part starts with bytes stored before).
    step = 5 * MIB
    for offset in range(0, 4 * step, step):
        assert a.patch(upload_id, offset, data[offset : offset + step]).status_code == 204
    # 20 MiB acknowledged, not completed: the two full parts went to S3 during the PATCHes
    # (waiting for this process's sender: the last part may still be on its way), and nothing
    # is visible.
    store._senders[upload_id].drain()
    (mpu,) = _open_multipart(store)
    assert mpu["Key"].endswith(sha)
    parts = store.client.list_parts(Bucket=store.bucket, Key=mpu["Key"], UploadId=mpu["UploadId"])
    assert [p["PartNumber"] for p in parts["Parts"]] == [1, 2]
    assert all(p["Size"] == PART_BYTES for p in parts["Parts"])
    assert store.object_size(sha) is None
    assert a.request("HEAD", f"/v1/blobs/{digest}").status_code == 404
    assert a.patch(upload_id, 4 * step, data[4 * step :]).status_code == 204
    done = a.complete(upload_id, digest)
    assert done.status_code == 201, done.text
    assert _body(store, sha) == data
    assert _open_multipart(store) == []
    assert not list((store.staging.root / "s3parts").glob("*")), "part records removed"
    assert a.request("GET", f"/v1/blobs/{digest}").content == data


def test_a_whole_file_in_one_patch_streams_its_parts_and_completes(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    store = _store(hq_app)
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(PART_BYTES)  # the largest PATCH a server takes (max_chunk_bytes)
    upload_id = a.start_upload(data).json()["upload_id"]
    response = a.request(
        "PATCH",
        f"/v1/uploads/{upload_id}",
        content=data,
        headers={
            "Upload-Offset": "0",
            "Upload-Checksum": chunk_checksum(data),
            "Upload-Complete": digest_of(data),
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert response.status_code == 201, response.text
    assert _body(store, digest_of(data).removeprefix("sha256:")) == data
    assert _open_multipart(store) == []


def test_a_digest_mismatch_aborts_the_multipart_upload_and_records_nothing(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    store = _store(hq_app)
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    claimed, sent = os.urandom(PART_BYTES + 2 * MIB), os.urandom(PART_BYTES + 2 * MIB)
    digest = digest_of(claimed)
    upload_id = a.start_upload(claimed).json()["upload_id"]
    half = len(sent) // 2
    assert a.patch(upload_id, 0, sent[:half]).status_code == 204
    assert a.patch(upload_id, half, sent[half:]).status_code == 204
    assert len(_open_multipart(store)) == 1  # part 1 (of the wrong bytes) went ahead
    response = a.complete(upload_id, digest)
    assert response.status_code == 422 and response.json()["error"] == "digest_mismatch"
    assert _open_multipart(store) == []
    assert store.object_size(digest.removeprefix("sha256:")) is None
    assert count(hq_app, TenantBlob) == 0
    assert a.request("HEAD", f"/v1/blobs/{digest}").status_code == 404


def test_parts_past_the_acknowledged_offset_are_not_used(hq_app: FastAPI) -> None:
    """A PATCH whose bytes reached S3 but whose offset was never committed (the process died
    between the two): the next PATCH starts at the acknowledged offset and the object is built
    from the bytes acknowledged, never from that part."""
    store = _store(hq_app)
    data = os.urandom(PART_BYTES + 6 * MIB)  # part 2 is short: sent at promotion
    sha = digest_of(data).removeprefix("sha256:")
    upload_id = str(uuid.uuid4())
    acked = 10 * MIB
    first = store.open_chunk(upload_id, 0, sha)
    first.start()
    first.write(data[:acked])
    first.finish()
    lost = store.open_chunk(upload_id, acked, sha)  # fills part 2 with other bytes
    lost.start()
    lost.write(os.urandom(PART_BYTES))
    lost.finish()
    resumed = store.open_chunk(upload_id, acked, sha)  # the offset in the database is `acked`
    resumed.start()
    resumed.write(data[acked:])
    resumed.finish()
    assert store.hash_upload(upload_id, len(data)) == sha
    store.promote(upload_id, sha)
    assert _body(store, sha) == data
    assert _open_multipart(store) == []


def test_a_part_s3_holds_with_other_bytes_is_sent_again_from_the_verified_file(
    hq_app: FastAPI,
) -> None:
    store = _store(hq_app)
    data = os.urandom(2 * PART_BYTES + MIB)
    sha = digest_of(data).removeprefix("sha256:")
    upload_id = str(uuid.uuid4())
    chunk = store.open_chunk(upload_id, 0, sha)
    chunk.start()
    chunk.write(data)
    chunk.finish()
    store._senders[upload_id].drain()
    (mpu,) = _open_multipart(store)
    # A stale request's part lands after the good one.
    store.client.upload_part(
        Bucket=store.bucket,
        Key=mpu["Key"],
        UploadId=mpu["UploadId"],
        PartNumber=2,
        Body=os.urandom(PART_BYTES),
    )
    store.promote(upload_id, sha)
    assert _body(store, sha) == data
    assert _open_multipart(store) == []


def test_a_part_replaced_after_the_check_fails_completion_and_the_file_is_sent_whole(
    hq_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(hq_app)
    data = os.urandom(2 * PART_BYTES + MIB)
    sha = digest_of(data).removeprefix("sha256:")
    upload_id = str(uuid.uuid4())
    chunk = store.open_chunk(upload_id, 0, sha)
    chunk.start()
    chunk.write(data)
    chunk.finish()
    listed = store._held_parts

    def then_replaced(key: str, mpu: str) -> dict[int, str]:
        held = listed(key, mpu)
        store.client.upload_part(
            Bucket=store.bucket, Key=key, UploadId=mpu, PartNumber=1, Body=os.urandom(PART_BYTES)
        )
        return held

    monkeypatch.setattr(store, "_held_parts", then_replaced)
    store.promote(upload_id, sha)
    assert _body(store, sha) == data
    assert _open_multipart(store) == []


def test_a_cut_patch_leaves_no_multipart_upload_behind(hq_app: FastAPI) -> None:
    store = _store(hq_app)
    data = os.urandom(PART_BYTES + MIB)
    sha = digest_of(data).removeprefix("sha256:")
    upload_id = str(uuid.uuid4())
    chunk = store.open_chunk(upload_id, 0, sha)
    chunk.start()
    chunk.write(data)  # part 1 goes to S3 in the background
    chunk.abort()  # the device went away before the end
    store.discard_upload(upload_id)  # the upload is over (expired): waits for the part, aborts
    assert _open_multipart(store) == []
