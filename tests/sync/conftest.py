"""Fixtures for sync tests: a throwaway PostgreSQL, HQ databases on SQLite and PostgreSQL,
an in-process HQ app, and a live `fairdesk-hq` subprocess (see `hq_harness`)."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from starlette.exceptions import StarletteDeprecationWarning

from sync.server.app import create_app
from sync.server.config import Settings
from tests.sync.hq_harness import (
    LiveHq,
    PostgresUnavailable,
    live_hq,
    moto_s3_server,
    postgres_cluster,
)

with warnings.catch_warnings():
    # Starlette 1.x nudges towards `httpx2`; plain httpx works and is what we ship with.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the session (see `hq_harness.postgres_cluster`).

    Skips with the reason when the binaries are absent, except under CI=true, where that is a
    failure: CI installs PostgreSQL so that every server test runs on both databases.
    """
    try:
        cluster = postgres_cluster()
        url = cluster.__enter__()
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but PostgreSQL is unavailable: {exc}")
        pytest.skip(str(exc))
    try:
        yield url
    finally:
        cluster.__exit__(None, None, None)


def _fresh_pg_database(pg_url: str) -> tuple[str, str]:
    import psycopg

    name = "hq_" + uuid.uuid4().hex[:12]
    url = make_url(pg_url)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False), conninfo


def _drop_pg_database(conninfo: str, db_url: str) -> None:
    import psycopg

    name = make_url(db_url).database
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def hq_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty HQ database: a SQLite file, or a fresh database in the throwaway cluster."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hq.sqlite3'}"
        return
    pg = request.getfixturevalue("pg_url")
    db_url, conninfo = _fresh_pg_database(pg)
    try:
        yield db_url
    finally:
        _drop_pg_database(conninfo, db_url)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on 127.0.0.1 for the session (see `hq_harness`)."""
    with moto_s3_server() as url:
        yield url


@pytest.fixture
def blob_store() -> str:
    """Which blob store the HQ under test uses. Folder by default; blob and upload test modules
    override this with `store_params` to run against S3 too."""
    return "folder"


def _s3_only_on_sqlite(items: list[pytest.Item]) -> list[pytest.Item]:
    """S3 × PostgreSQL adds little over S3 × SQLite plus folder × PostgreSQL, except for the
    upload races (where the database's row locking matters): those are marked `s3_postgres`."""
    keep = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if (
            params.get("blob_store") == "s3"
            and params.get("hq_db_url") == "postgresql"
            and item.get_closest_marker("s3_postgres") is None
        ):
            continue
        keep.append(item)
    return keep


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept = _s3_only_on_sqlite(items)
    if len(kept) != len(items):
        dropped = [i for i in items if i not in kept]
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def blob_env(
    blob_store: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Environment for the chosen store: empty for the folder, bucket + endpoint for S3 (also
    set in this process, so in-process apps and `LiveHq.store()` reach the same bucket)."""
    if blob_store == "folder":
        return {}
    import boto3

    endpoint = request.getfixturevalue("s3_endpoint")
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bucket = "hq-" + uuid.uuid4().hex[:12]
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    env["FAIRDESK_HQ_BLOBS_URL"] = f"s3://{bucket}/fairdesk"
    monkeypatch.setenv("FAIRDESK_HQ_BLOBS_URL", env["FAIRDESK_HQ_BLOBS_URL"])
    return env


@pytest.fixture
def hq_settings(hq_db_url: str, tmp_path: Path, blob_env: dict[str, str]) -> Settings:
    return Settings(
        data_dir=tmp_path / "hq",
        database_url=hq_db_url,
        blobs_url=blob_env.get("FAIRDESK_HQ_BLOBS_URL", ""),
    )


@pytest.fixture
def hq_app(hq_settings: Settings) -> Iterator[FastAPI]:
    app = create_app(hq_settings)
    yield app
    app.state.db.dispose()


@pytest.fixture
def hq_http(hq_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(hq_app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def live_server(hq_db_url: str, tmp_path: Path, blob_env: dict[str, str]) -> Iterator[LiveHq]:
    """A real `fairdesk-hq serve` subprocess on 127.0.0.1 over the parametrized database and
    blob store."""
    with live_hq(hq_db_url, tmp_path / "hq", env=blob_env) as server:
        yield server
