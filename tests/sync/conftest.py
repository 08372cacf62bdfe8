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
from tests.sync.hq_harness import LiveHq, PostgresUnavailable, live_hq, postgres_cluster

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


@pytest.fixture
def hq_settings(hq_db_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "hq", database_url=hq_db_url)


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
def live_server(hq_db_url: str, tmp_path: Path) -> Iterator[LiveHq]:
    """A real `fairdesk-hq serve` subprocess on 127.0.0.1 over the parametrized database."""
    with live_hq(hq_db_url, tmp_path / "hq") as server:
        yield server
