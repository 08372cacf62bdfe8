"""Fixtures for sync tests: a throwaway PostgreSQL, HQ databases on SQLite and PostgreSQL,
an in-process HQ app, and a live `fairdesk-hq` subprocess (see `hq_harness`)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
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
from tests.sync.hq_harness import LiveHq, live_hq

with warnings.catch_warnings():
    # Starlette 1.x nudges towards `httpx2`; plain httpx works and is what we ship with.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


def _pg_bindir() -> str | None:
    if "PG_BIN" in os.environ:
        candidates = [os.environ["PG_BIN"]]
    else:
        candidates = [
            *sorted(
                glob.glob("/usr/lib/postgresql/*/bin"),
                key=lambda p: int(p.split("/")[-2]),
                reverse=True,
            ),
            os.path.dirname(shutil.which("pg_ctl") or "/nonexistent/x"),
        ]
    return next(
        (
            d
            for d in candidates
            if os.access(f"{d}/initdb", os.X_OK) and os.access(f"{d}/pg_ctl", os.X_OK)
        ),
        None,
    )


def _skip_or_fail(reason: str) -> None:
    # In CI the binaries are installed on purpose: a missing PostgreSQL is a failure there.
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but PostgreSQL is unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (initdb/pg_ctl; via runuser when root) -> SQLAlchemy URL."""
    bindir = _pg_bindir()
    if not bindir:
        _skip_or_fail("PostgreSQL server binaries (initdb/pg_ctl) not found; set PG_BIN")
        return
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            owner = pwd.getpwnam(os.environ.get("PG_RUN_AS", "postgres"))
        except KeyError:
            _skip_or_fail("running as root and no 'postgres' user to run the server as")
            return
        prefix = ["runuser", "-u", owner.pw_name, "--"]
    # Not pytest's tmp_path: its 0700 root-owned parents would block the postgres user.
    tmp = tempfile.mkdtemp(prefix="fairdesk-pg-")
    if owner:
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = f"{tmp}/data"

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], cwd=tmp, capture_output=True, text=True, check=True)

    try:
        run(
            f"{bindir}/initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        # -l: otherwise the postmaster inherits our pipes and the call never returns.
        run(
            f"{bindir}/pg_ctl",
            "-D",
            data,
            "-l",
            f"{tmp}/server.log",
            "-w",
            "-t",
            "60",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {tmp} -c max_connections=300 -F "
            "-c full_page_writes=off -c synchronous_commit=off",
            "start",
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
            cwd=tmp,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(tmp, ignore_errors=True)


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
