"""Limits answer 413/422 before anything is stored (body, items, page, chunk, upload, quota)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.protocol import digest_of
from sync.server.app import create_app
from sync.server.config import Settings
from sync.server.models import ChangeLog, Record, Upload
from tests.sync.server.helpers import count, device, tenant


@pytest.fixture
def small(hq_settings: Settings) -> Iterator[tuple[TestClient, FastAPI]]:
    settings = hq_settings.model_copy(
        update={
            "max_body_bytes": 64 * 1024,
            "max_chunk_bytes": 4096,
            "max_upload_bytes": 100_000,
        }
    )
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1") as http:
        yield http, app
    app.state.db.dispose()


def _stored(app: FastAPI) -> tuple[int, int, int, list[Path]]:
    blobs = Path(app.state.settings.resolved_blobs_dir())
    files = sorted(p for p in blobs.rglob("*") if p.is_file())
    return count(app, Record), count(app, ChangeLog), count(app, Upload), files


def test_oversized_requests_store_nothing(small: tuple[TestClient, FastAPI]) -> None:
    http, app = small
    tenant(app, "Acme", quota_bytes=150_000)
    a = device(http, app, "Acme")
    case = a.new_case()
    before = _stored(app)
    huge = [
        a.mutation("note", str(uuid.uuid4()), changes={"case_id": case, "t": "x" * 1000})
        for _ in range(100)
    ]
    response = a.push_raw(huge)
    assert response.status_code == 413 and response.json()["error"] == "body_too_large"

    def stream() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"device_id": "' + a.device_id.encode() + b'", "mutations": ['
        for _ in range(200):
            yield b" " * 1024
        yield b"]}"

    streamed = a.request(
        "POST", "/v1/sync/push", content=stream(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    a.next_mutation = 2
    too_many = [a.mutation("fair", str(uuid.uuid4())) for _ in range(501)]
    for m in too_many:
        m.pop("client_time")
        m.pop("changes")
    assert a.push_raw(too_many).status_code in (413, 422)
    assert _stored(app) == before

    data = os.urandom(90_000)
    too_big = a.request(
        "POST",
        "/v1/uploads",
        headers={"Idempotency-Key": "sha256:" + "0" * 64, "Upload-Length": "100001"},
    )
    assert too_big.status_code == 413
    upload_id = a.start_upload(data).json()["upload_id"]
    with_upload = _stored(app)
    assert a.patch(upload_id, 0, data[:5000]).status_code == 413  # chunk over 4096
    assert _stored(app) == with_upload
    assert all(f.stat().st_size == 0 for f in with_upload[3])
    for offset in range(0, len(data), 4096):
        assert a.patch(upload_id, offset, data[offset : offset + 4096]).status_code == 204
    beyond = a.patch(upload_id, len(data), b"x")
    assert beyond.status_code == 413
    assert a.complete(upload_id, digest_of(data)).status_code == 201
    # 90 kB used of a 150 kB quota: another 90 kB upload is refused before anything is stored.
    before_quota = _stored(app)
    second = a.start_upload(os.urandom(90_000))
    assert second.status_code == 413 and second.json()["error"] == "quota_exceeded"
    assert _stored(app) == before_quota
