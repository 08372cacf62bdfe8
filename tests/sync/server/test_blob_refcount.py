"""`Blob.refcount` is the number of tenants holding the object (issue 15, item 6).

Reported: it read 0 after two tenants uploaded the same bytes. Checked after each upload, after
a re-upload by the same tenant, and after the collector's recount.

Cause (PostgreSQL only): `uploads._insert_missing` decides "this transaction inserted the row"
from `CursorResult.rowcount`, which SQLAlchemy documents as reliable only for UPDATE/DELETE; for
`insert(Model).values(...).on_conflict_do_nothing()` on psycopg 3 it is -1, so `record_blob`
never adds the tenant to `Blob.refcount` (SQLite reports 1 and counts right). Fixed by
`.returning(<primary key>)` and "a row came back".
"""

from __future__ import annotations

import os

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from sync.server.blobgc import collect
from sync.server.models import Blob, TenantBlob
from tests.sync.server.helpers import database, device, tenant


def _counts(app: FastAPI, sha: str) -> tuple[int, int]:
    with database(app).reading() as session:
        blob = session.get_one(Blob, sha)
        claims = session.query(TenantBlob).filter(TenantBlob.sha256 == sha).count()
        return blob.refcount, claims


def test_two_tenants_uploading_the_same_bytes_count_two(
    hq_http: TestClient, hq_app: FastAPI, hq_db_url: str, request: pytest.FixtureRequest
) -> None:
    tenant(hq_app, "Acme")
    tenant(hq_app, "Rival")
    a, r = device(hq_http, hq_app, "Acme"), device(hq_http, hq_app, "Rival")
    data = os.urandom(20_000)
    sha = a.upload(data).removeprefix("sha256:")
    assert _counts(hq_app, sha) == (1, 1)
    assert a.upload(data).removeprefix("sha256:") == sha  # the same tenant again: still one
    assert _counts(hq_app, sha) == (1, 1)
    assert r.upload(data).removeprefix("sha256:") == sha
    assert _counts(hq_app, sha) == (2, 2)
    collect(database(hq_app), hq_app.state.store, hq_app.state.settings, dry_run=False)
    assert _counts(hq_app, sha) == (2, 2)  # the recount agrees
