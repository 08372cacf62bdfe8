"""Helpers to run and drive a real `fairdesk-hq` in tests (and, later, device-sync tests).

`live_hq(db_url, data_dir)` starts `fairdesk-hq serve` as a subprocess on 127.0.0.1 with a socket
bound here and passed by file descriptor (no port race), waits for `/v1/health`, and SIGKILLs the
whole process group on exit. `DeviceClient` speaks the protocol over any httpx-compatible client
(a live server or FastAPI's in-process TestClient).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sync.protocol import (
    IDEMPOTENCY_KEY,
    UPLOAD_CHECKSUM,
    UPLOAD_LENGTH,
    UPLOAD_OFFSET,
    chunk_checksum,
    digest_of,
)
from sync.server import admin
from sync.server.blobstore import BlobStore, LocalBlobStore, open_store
from sync.server.config import Settings
from sync.server.db import migrate, open_database

GIB = 1024**3
HQ_BIN = Path(sys.executable).with_name("fairdesk-hq")


def add_tenant(db_url: str, name: str, kind: str = "company", quota_bytes: int = 10 * GIB) -> str:
    db = open_database(db_url)
    try:
        migrate(db.engine)
        with db.writing() as session:
            return admin.add_tenant(session, name, kind, quota_bytes).id
    finally:
        db.dispose()


def enroll_codes(db_url: str, tenant: str, role: str | None = None, count: int = 1) -> list[str]:
    from datetime import timedelta

    db = open_database(db_url)
    try:
        with db.writing() as session:
            return [
                admin.make_enroll_code(session, tenant, role, timedelta(hours=1))
                for _ in range(count)
            ]
    finally:
        db.dispose()


@dataclass
class DeviceClient:
    """One enrolled device talking to the server through `http` (base URL ending in /v1)."""

    http: httpx.Client
    device_id: str
    tenant_id: str
    refresh_token: str
    access_token: str
    next_mutation: int = 1
    cursor: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def enroll(cls, http: httpx.Client, code: str, name: str = "test laptop") -> DeviceClient:
        response = http.post("/v1/devices/enroll", json={"enroll_code": code, "device_name": name})
        response.raise_for_status()
        body = response.json()
        return cls(
            http=http,
            device_id=body["device_id"],
            tenant_id=body["tenant_id"],
            refresh_token=body["refresh_token"],
            access_token=body["access_token"],
        )

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def refresh(self) -> httpx.Response:
        response = self.http.post(
            "/v1/auth/token",
            json={"device_id": self.device_id, "refresh_token": self.refresh_token},
        )
        if response.status_code == 200:
            self.access_token = response.json()["access_token"]
        return response

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return self.http.request(method, url, headers=headers, **kwargs)

    def mutation(
        self, entity: str, entity_id: str, op: str = "insert", **kw: Any
    ) -> dict[str, Any]:
        m = {
            "mutation_id": self.next_mutation,
            "entity": entity,
            "entity_id": entity_id,
            "op": op,
            "changes": kw.pop("changes", {}),
            "client_time": "2026-01-01T00:00:00Z",
            **kw,
        }
        self.next_mutation += 1
        return m

    def push_raw(self, mutations: list[dict[str, Any]]) -> httpx.Response:
        return self.request(
            "POST", "/v1/sync/push", json={"device_id": self.device_id, "mutations": mutations}
        )

    def push(self, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = self.push_raw(mutations)
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def new_case(self, **fields: Any) -> str:
        case_id = str(uuid.uuid4())
        [result] = self.push([self.mutation("case", case_id, changes=fields or {"title": "t"})])
        assert result["status"] == "applied", result
        return case_id

    def pull_all(self, cursor: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        changes: list[dict[str, Any]] = []
        while True:
            response = self.request(
                "GET", "/v1/sync/pull", params={"cursor": cursor, "limit": limit}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            changes.extend(body["changes"])
            cursor = body["next_cursor"]
            if not body["has_more"]:
                self.cursor = cursor
                return changes

    def start_upload(self, data: bytes) -> httpx.Response:
        return self.request(
            "POST",
            "/v1/uploads",
            headers={IDEMPOTENCY_KEY: digest_of(data), UPLOAD_LENGTH: str(len(data))},
        )

    def patch(
        self, upload_id: str, offset: int, chunk: bytes, checksum: str | None = None
    ) -> httpx.Response:
        return self.request(
            "PATCH",
            f"/v1/uploads/{upload_id}",
            content=chunk,
            headers={
                UPLOAD_OFFSET: str(offset),
                UPLOAD_CHECKSUM: checksum or chunk_checksum(chunk),
                "Content-Type": "application/offset+octet-stream",
            },
        )

    def complete(self, upload_id: str, digest: str) -> httpx.Response:
        return self.request("POST", f"/v1/uploads/{upload_id}/complete", params={"digest": digest})

    def upload(self, data: bytes, chunk_size: int = 1024 * 1024) -> str:
        """Whole resumable upload; returns the digest. Asserts every step succeeds."""
        digest = digest_of(data)
        created = self.start_upload(data)
        assert created.status_code in (200, 201), created.text
        status = created.json()
        if status["complete"]:
            return digest
        offset = status["offset"]
        while offset < len(data):
            chunk = data[offset : offset + chunk_size]
            response = self.patch(status["upload_id"], offset, chunk)
            assert response.status_code == 204, response.text
            offset = int(response.headers[UPLOAD_OFFSET])
        done = self.complete(status["upload_id"], digest)
        assert done.status_code == 201, done.text
        return digest


@dataclass
class LiveHq:
    db_url: str
    data_dir: Path
    base_url: str = ""
    process: subprocess.Popen[bytes] | None = None
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)

    def client(self, timeout: float = 30.0) -> httpx.Client:
        # trust_env=False: never route loopback traffic through a configured proxy.
        return httpx.Client(base_url=self.base_url, timeout=timeout, trust_env=False)

    def add_tenant(self, name: str, kind: str = "company", quota_bytes: int = 10 * GIB) -> str:
        return add_tenant(self.db_url, name, kind, quota_bytes)

    def enroll_code(self, tenant: str, role: str | None = None) -> str:
        return enroll_codes(self.db_url, tenant, role)[0]

    def enroll_device(
        self, http: httpx.Client, tenant: str, role: str | None = None
    ) -> DeviceClient:
        return DeviceClient.enroll(http, self.enroll_code(tenant, role))

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run an admin command of the real console script against this server's database."""
        return subprocess.run(
            [str(HQ_BIN), *args, "--db", self.db_url, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env={**os.environ, **self.env},
        )

    def store(self) -> BlobStore:
        """The server's blob store (folder or S3, as its environment says), for inspection."""
        return open_store(
            Settings(data_dir=self.data_dir, blobs_url=self.env.get("FAIRDESK_HQ_BLOBS_URL", ""))
        )

    def start(self, timeout: float = 30.0) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(256)
        port = sock.getsockname()[1]
        env = {**os.environ, **self.env}
        self.process = subprocess.Popen(
            [
                str(HQ_BIN),
                "serve",
                "--db",
                self.db_url,
                "--data-dir",
                str(self.data_dir),
                "--fd",
                str(sock.fileno()),
                "--log-level",
                "warning",
                "--workers",
                str(self.workers),
            ],
            pass_fds=[sock.fileno()],
            start_new_session=True,  # so killpg reaches uvicorn's worker processes too
            env=env,
        )
        sock.close()
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=2, trust_env=False) as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"fairdesk-hq exited early with {self.process.returncode}")
                try:
                    if http.get("/v1/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise TimeoutError(self.base_url)
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server and all its workers (a crash, not a shutdown)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()


@contextlib.contextmanager
def live_hq(
    db_url: str, data_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[LiveHq]:
    server = LiveHq(db_url=db_url, data_dir=data_dir, workers=workers, env=env or {})
    server.start()
    try:
        yield server
    finally:
        server.kill()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class PostgresUnavailable(Exception):
    """No PostgreSQL server binaries (or no user to run them as); the message says why."""


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster via initdb/pg_ctl (through runuser when root) -> URL."""
    import glob
    import pwd
    import shutil
    import tempfile

    if "PG_BIN" in os.environ:
        candidates = [os.environ["PG_BIN"]]
    else:
        found = sorted(
            glob.glob("/usr/lib/postgresql/*/bin"),
            key=lambda p: int(p.split("/")[-2]),
            reverse=True,
        )
        candidates = [*found, os.path.dirname(shutil.which("pg_ctl") or "/nonexistent/x")]
    bindir = next(
        (
            d
            for d in candidates
            if os.access(f"{d}/initdb", os.X_OK) and os.access(f"{d}/pg_ctl", os.X_OK)
        ),
        None,
    )
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb/pg_ctl) not found; set PG_BIN"
        )
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            owner = pwd.getpwnam(os.environ.get("PG_RUN_AS", "postgres"))
        except KeyError as exc:
            raise PostgresUnavailable("running as root and no 'postgres' user to run as") from exc
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


def stored_objects(store: BlobStore) -> dict[str, bytes]:
    """Every object in the store, by digest (read through the store, so folder and S3 alike)."""
    objects = {}
    for sha in store.object_names():
        with store.open_object(sha) as handle:
            objects[sha] = handle.read()
    return objects


def put_object(store: BlobStore, sha: str, data: bytes) -> None:
    """Overwrite an object with arbitrary bytes (a damaged object, for tests)."""
    if isinstance(store, LocalBlobStore):
        [path] = store.objects.rglob(sha)
        path.write_bytes(data)
        return
    from sync.server.s3store import S3BlobStore

    assert isinstance(store, S3BlobStore)
    store.client.put_object(Bucket=store.bucket, Key=store._key(sha), Body=data)


S3_ENV_KEYS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")


@contextlib.contextmanager
def moto_s3_server() -> Iterator[str]:
    """moto's S3-compatible server (`moto_server`) as a subprocess on a free 127.0.0.1 port.

    Production uses MinIO, Ceph RGW or AWS S3; moto speaks the same S3 API for the tests.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    listening = threading.Event()

    def read_log() -> None:
        # werkzeug prints "Running on http://…" once the socket listens, then one line per
        # request: the pipe is drained for the server's whole life so it never blocks.
        assert process.stderr is not None
        for line in process.stderr:
            if "Running on" in line:
                listening.set()
        listening.set()  # EOF: the process ended; the check below says so

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        if not listening.wait(timeout=60) or process.poll() is not None:
            raise RuntimeError(f"moto_server did not start (exit code {process.poll()})")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        reader.join(timeout=10)  # EOF once the process is gone
        assert process.stderr is not None
        process.stderr.close()
