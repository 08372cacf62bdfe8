"""Issue 15, item 3: garbage collection of blobs no live record references (`fairdesk-hq gc`).

Every rule on the folder store and on S3 (moto's server): a referenced blob stays; a blob whose
case was deleted is stamped first, kept through the grace period, then deleted (bytes reported,
object gone from the store); `--dry-run` changes nothing; a live upload of the same bytes keeps
it; another tenant's reference keeps the object while only the first tenant's claim goes. Time
passing is simulated by moving `unreferenced_since`/`created_at` back in the database.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from starlette.testclient import TestClient

from sync.server.blobgc import GcReport, collect
from sync.server.config import Settings
from sync.server.models import Blob, Tenant, TenantBlob
from tests.sync.hq_harness import HQ_BIN, DeviceClient, stored_objects
from tests.sync.server.helpers import count, database, device, tenant


@pytest.fixture(params=["folder", "s3"])
def blob_store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _gc(app: FastAPI, dry_run: bool = False) -> GcReport:
    settings: Settings = app.state.settings
    return collect(database(app), app.state.store, settings, dry_run)


def _age(app: FastAPI, days: float) -> None:
    """Everything about blobs happened `days` earlier than recorded."""
    shift = timedelta(days=days)
    with database(app).writing() as session:
        for claim in session.scalars(select(TenantBlob)):
            claim.created_at -= shift
            if claim.unreferenced_since is not None:
                claim.unreferenced_since -= shift
        for blob in session.scalars(select(Blob)):
            blob.created_at -= shift


def _stored_bytes(app: FastAPI, tenant_id: str) -> int:
    """The tenant's kept total, after checking it against its claims added up."""
    with database(app).reading() as session:
        kept = session.get_one(Tenant, tenant_id).stored_bytes
        claims = session.scalars(select(TenantBlob.size).where(TenantBlob.tenant_id == tenant_id))
        assert kept == sum(claims)
        return kept


def _case_with_photo(d: DeviceClient, data: bytes) -> tuple[str, str, int]:
    case_id = d.new_case()
    sha = d.upload(data).removeprefix("sha256:")
    [r] = d.push(
        [
            d.mutation(
                "evidence_item", str(uuid.uuid4()), changes={"case_id": case_id}, blob_refs=[sha]
            )
        ]
    )
    assert r["status"] == "applied", r
    return case_id, sha, 1


def _delete_case(d: DeviceClient, case_id: str) -> None:
    [r] = d.push([d.mutation("case", case_id, op="delete", base_version=1)])
    assert r["status"] == "applied", r


def test_a_referenced_blob_is_never_collected(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(50_000)
    _, sha, _ = _case_with_photo(a, data)
    _age(hq_app, 365)
    for _ in range(2):
        report = _gc(hq_app)
        assert report.objects_deleted == [] and report.newly_unreferenced == 0
    assert stored_objects(hq_app.state.store) == {sha: data}
    assert a.request("GET", f"/v1/blobs/sha256:{sha}").content == data


def test_an_unreferenced_blob_goes_only_after_the_grace_period(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(70_000)
    case_id, sha, _ = _case_with_photo(a, data)
    kept = os.urandom(1000)
    _, kept_sha, _ = _case_with_photo(a, kept)
    _delete_case(a, case_id)
    _age(hq_app, 30)  # the upload itself is old; the loss of the reference is new
    first = _gc(hq_app)
    assert first.newly_unreferenced == 1 and first.objects_deleted == []
    with database(hq_app).reading() as session:
        claim = session.get_one(TenantBlob, (a.tenant_id, sha))
        assert claim.refcount == 0 and claim.unreferenced_since is not None
    _age(hq_app, 6)  # inside the 7-day grace
    assert _gc(hq_app).objects_deleted == []
    assert sha in stored_objects(hq_app.state.store)
    _age(hq_app, 2)  # now 8 days unreferenced
    dry = _gc(hq_app, dry_run=True)
    assert dry.objects_deleted == [sha] and dry.bytes_deleted == len(data)
    assert sha in stored_objects(hq_app.state.store)  # the dry run changed nothing
    assert count(hq_app, TenantBlob) == 2
    assert _stored_bytes(hq_app, a.tenant_id) == len(data) + len(kept)
    real = _gc(hq_app)
    assert real.objects_deleted == [sha] and real.bytes_deleted == len(data)
    assert real.claims_released == [{"tenant_id": a.tenant_id, "sha256": sha, "size": len(data)}]
    assert stored_objects(hq_app.state.store) == {kept_sha: kept}
    assert count(hq_app, Blob, Blob.sha256 == sha) == 0
    assert a.request("GET", f"/v1/blobs/sha256:{sha}").status_code == 404
    # The same bytes can be uploaded again afterwards and are served again.
    assert _stored_bytes(hq_app, a.tenant_id) == len(kept)  # the released claim stopped counting
    assert a.upload(data) == f"sha256:{sha}"
    assert a.request("GET", f"/v1/blobs/sha256:{sha}").content == data
    assert _stored_bytes(hq_app, a.tenant_id) == len(data) + len(kept)


def test_a_reference_that_comes_back_resets_the_grace(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(2000)
    case_id, sha, _ = _case_with_photo(a, data)
    _delete_case(a, case_id)
    _gc(hq_app)
    other = a.new_case()
    a.push(
        [
            a.mutation(
                "evidence_item", str(uuid.uuid4()), changes={"case_id": other}, blob_refs=[sha]
            )
        ]
    )
    _age(hq_app, 30)
    assert _gc(hq_app).objects_deleted == []
    with database(hq_app).reading() as session:
        claim = session.get_one(TenantBlob, (a.tenant_id, sha))
        assert claim.refcount == 1 and claim.unreferenced_since is None


def test_a_live_upload_of_the_same_bytes_keeps_the_blob(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    tenant(hq_app, "Rival")
    a, r = device(hq_http, hq_app, "Acme"), device(hq_http, hq_app, "Rival")
    data = os.urandom(40_000)
    case_id, sha, _ = _case_with_photo(a, data)
    _delete_case(a, case_id)
    _gc(hq_app)
    _age(hq_app, 30)
    upload_id = r.start_upload(data).json()["upload_id"]  # Rival is uploading the same bytes
    assert r.patch(upload_id, 0, data[:10_000]).status_code == 204
    report = _gc(hq_app)
    assert report.objects_deleted == [] and report.kept_live_upload == [sha]
    assert sha in stored_objects(hq_app.state.store)
    assert r.patch(upload_id, 10_000, data[10_000:]).status_code == 204
    assert r.complete(upload_id, f"sha256:{sha}").status_code == 201
    assert r.request("GET", f"/v1/blobs/sha256:{sha}").content == data


def test_another_tenants_reference_keeps_the_object(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    tenant(hq_app, "Rival")
    a, r = device(hq_http, hq_app, "Acme"), device(hq_http, hq_app, "Rival")
    data = os.urandom(30_000)
    case_id, sha, _ = _case_with_photo(a, data)
    _case_with_photo(r, data)
    _delete_case(a, case_id)
    _gc(hq_app)
    _age(hq_app, 30)
    report = _gc(hq_app)
    assert report.objects_deleted == []
    assert [c["tenant_id"] for c in report.claims_released] == [a.tenant_id]
    assert a.request("GET", f"/v1/blobs/sha256:{sha}").status_code == 404
    assert r.request("GET", f"/v1/blobs/sha256:{sha}").content == data
    with database(hq_app).reading() as session:
        assert session.get_one(Blob, sha).refcount == 1  # recounted: one tenant holds it


def test_gc_command_dry_run_json(
    hq_http: TestClient, hq_app: FastAPI, hq_settings: Settings, blob_env: dict[str, str]
) -> None:
    tenant(hq_app, "Acme")
    a = device(hq_http, hq_app, "Acme")
    data = os.urandom(5000)
    case_id, sha, _ = _case_with_photo(a, data)
    _delete_case(a, case_id)

    data_dir = ("--data-dir", str(hq_settings.data_dir))

    def run(*args: str) -> dict[str, object]:
        result = subprocess.run(
            [str(HQ_BIN), "gc", *args, "--json", "--db", hq_settings.database_url, *data_dir],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **blob_env},
            check=False,
        )
        assert result.returncode == 0, result.stderr
        parsed: dict[str, object] = json.loads(result.stdout)
        return parsed

    assert run()["newly_unreferenced"] == 1
    _age(hq_app, 8)
    dry = run("--dry-run")
    assert dry["dry_run"] is True and dry["objects_deleted"] == [sha]
    assert dry["bytes_deleted"] == len(data)
    assert sha in stored_objects(hq_app.state.store)
    done = run()
    assert done["objects_deleted"] == [sha]
    assert sha not in stored_objects(hq_app.state.store)
