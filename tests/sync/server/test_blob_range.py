"""Devices resume a cut download with ``Range: bytes=N-`` (issue 15 item 2): HQ answers 206
with the rest and its ``Content-Range``, 416 past the end, and the whole blob for forms devices
never send. Runs on the folder store and on S3 (moto's server; the S3 body only streams, so
HQ reads past the start)."""

from __future__ import annotations

import os

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.protocol import digest_of
from tests.sync.server.helpers import device, tenant


@pytest.fixture(params=["folder", "s3"])
def blob_store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_range_resumes_a_download(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(2_500_000)  # more than one of HQ's 1 MiB read blocks
    digest = a.upload(data)
    assert digest == digest_of(data)

    whole = a.request("GET", f"/v1/blobs/{digest}")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"

    for start in (1, 1_048_576, 1_300_001, len(data) - 1):
        rest = a.request("GET", f"/v1/blobs/{digest}", headers={"Range": f"bytes={start}-"})
        assert rest.status_code == 206
        assert rest.headers["content-range"] == f"bytes {start}-{len(data) - 1}/{len(data)}"
        assert rest.content == data[start:]

    past = a.request("GET", f"/v1/blobs/{digest}", headers={"Range": f"bytes={len(data)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(data)}"
    for unsupported in ("bytes=-100", "bytes=0-99", "bytes=1-,5-", "items=3-"):
        full = a.request("GET", f"/v1/blobs/{digest}", headers={"Range": unsupported})
        assert full.status_code == 200 and full.content == data


def test_range_does_not_widen_what_a_device_may_read(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    tenant(hq_app, "Other")
    a = device(hq_http, hq_app, "Acme")
    other = device(hq_http, hq_app, "Other")
    digest = a.upload(os.urandom(10_000))
    cut = other.request("GET", f"/v1/blobs/{digest}", headers={"Range": "bytes=5000-"})
    assert cut.status_code == 404
