"""Issue 21, finding 7: refresh tokens rotate with reuse detection, `prune` cleans expired and
spent tokens, health asks the database (both databases); the real device client stores each
rotated token before using it (real `fairdesk-hq` subprocess)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select, update
from starlette.testclient import TestClient

from fairdesk.store import open_store
from sync.client.credentials import load_refresh_token
from sync.client.engine import make_transport
from sync.protocol import is_server_response
from sync.server.cli import main as hq_main
from sync.server.db import open_database
from sync.server.models import DeviceToken, utcnow
from sync.server.security import hash_secret
from tests.sync.devices import Node, make_node, new_case
from tests.sync.hq_harness import DeviceClient, LiveHq
from tests.sync.server.helpers import count, database, device, tenant


def _refresh(dev: DeviceClient, token: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = dev.http.post(
        "/v1/auth/token", json={"device_id": dev.device_id, "refresh_token": token}
    )
    assert is_server_response(response.headers)
    return response.status_code, response.json()


def _tokens(app: FastAPI, device_id: str) -> int:
    return count(app, DeviceToken, DeviceToken.device_id == device_id)


def test_refresh_tokens_rotate_and_a_lost_answer_is_forgiven(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    laptop = device(hq_http, hq_app, "Acme")
    first = laptop.refresh_token
    status, body = _refresh(laptop, first)
    assert status == 200
    second = body["refresh_token"]
    assert second and second != first
    # The answer was lost: the device still holds `first`. Its successor was never used, so
    # `first` works once more and yields a fresh successor; the lost one is retired.
    status, body = _refresh(laptop, first)
    assert status == 200
    third = body["refresh_token"]
    assert third not in (first, second)
    laptop.access_token = body["access_token"]
    assert laptop.request("GET", "/v1/sync/pull").status_code == 200
    status, body = _refresh(laptop, third)
    assert status == 200
    fourth = body["refresh_token"]
    laptop.access_token = body["access_token"]
    assert laptop.request("GET", "/v1/sync/pull").status_code == 200
    assert _refresh(laptop, fourth)[0] == 200


def test_a_reused_refresh_token_revokes_the_whole_chain(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    laptop = device(hq_http, hq_app, "Acme")
    other = device(hq_http, hq_app, "Acme")
    stolen = laptop.refresh_token  # copied off the laptop
    status, body = _refresh(laptop, stolen)
    current = body["refresh_token"]
    status, body = _refresh(laptop, current)  # the laptop moves on: `current` is used
    assert status == 200
    laptop.access_token = body["access_token"]
    newest = body["refresh_token"]
    # The thief presents the copy: HQ cannot tell who is who, so every token of the device goes.
    status, body = _refresh(laptop, stolen)
    assert status == 401 and "enrol" in body["detail"]
    assert _tokens(hq_app, laptop.device_id) == 0
    assert laptop.request("GET", "/v1/sync/pull").status_code == 401
    assert _refresh(laptop, newest)[0] == 401
    # A retired token (the lost answer's successor) presented later is reuse as well.
    status, body = _refresh(other, other.refresh_token)
    lost = body["refresh_token"]
    status, body = _refresh(other, other.refresh_token)
    assert status == 200
    assert _refresh(other, lost)[0] == 401
    assert _tokens(hq_app, other.device_id) == 0


def test_prune_deletes_expired_and_spent_tokens(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    laptop = device(hq_http, hq_app, "Acme")
    token = laptop.refresh_token
    for _ in range(3):
        _, body = _refresh(laptop, token)
        token = body["refresh_token"]
    # An older device that never stores rotated tokens: each refresh retires a successor.
    old = device(hq_http, hq_app, "Acme")
    for _ in range(3):
        assert _refresh(old, old.refresh_token)[0] == 200
    with database(hq_app).writing() as session:
        session.execute(
            update(DeviceToken)
            .where(DeviceToken.device_id == old.device_id, DeviceToken.kind == "retired")
            .values(created_at=utcnow() - timedelta(days=400))
        )
    laptop.access_token = body["access_token"]
    live_access = laptop.access_token
    assert _tokens(hq_app, laptop.device_id) == 8  # 4 refresh + 4 access (enrol + 3 refreshes)
    assert count(hq_app, DeviceToken, DeviceToken.kind == "retired") == 2
    long_ago = utcnow() - timedelta(days=400)
    with database(hq_app).writing() as session:
        session.execute(
            update(DeviceToken)
            .where(
                DeviceToken.kind == "access",
                DeviceToken.device_id == laptop.device_id,
                DeviceToken.token_hash != hash_secret(live_access),
            )
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.execute(
            update(DeviceToken)
            .where(DeviceToken.used_at.is_not(None), DeviceToken.device_id == laptop.device_id)
            .values(used_at=long_ago)
        )
    url = hq_app.state.settings.resolved_database_url()
    data_dir = str(hq_app.state.settings.data_dir)
    assert (
        hq_main(["prune", "--keep-days", "90", "--db", url, "--data-dir", data_dir, "--json"]) == 0
    )
    # Left: the live access token, the current refresh token and the last spent one (its
    # successor, the current one, was never used: a lost answer would still need it).
    with database(hq_app).reading() as session:
        kinds = sorted(
            session.scalars(
                select(DeviceToken.kind).where(DeviceToken.device_id == laptop.device_id)
            )
        )
        # The older device keeps its spent token (never-used successors), its newest refresh
        # token and four access tokens that have not expired.
        assert session.scalars(select(func.count()).select_from(DeviceToken)).one() == 3 + 6
    assert kinds == ["access", "refresh", "refresh"]
    assert count(hq_app, DeviceToken, DeviceToken.kind == "retired") == 0
    assert laptop.request("GET", "/v1/sync/pull").status_code == 200
    assert _refresh(laptop, token)[0] == 200
    assert _refresh(old, old.refresh_token)[0] == 200  # the older device still refreshes


def test_health_asks_the_database(hq_http: TestClient, hq_app: FastAPI) -> None:
    assert hq_http.get("/v1/health").status_code == 200
    working = hq_app.state.db
    url = hq_app.state.settings.resolved_database_url()
    broken = (
        "sqlite:////nonexistent-fairdesk-dir/hq.sqlite3"
        if url.startswith("sqlite")
        else url.replace("@127.0.0.1:", "@127.0.0.1:1").rsplit(":", 1)[0] + ":1/none"
    )
    hq_app.state.db = open_database(broken)
    try:
        response = hq_http.get("/v1/health")
    finally:
        hq_app.state.db.dispose()
        hq_app.state.db = working
    assert response.status_code == 503
    assert is_server_response(response.headers)
    assert response.json()["error"] == "database_unavailable"
    assert hq_http.get("/v1/health").status_code == 200


def test_the_device_stores_each_rotated_token_before_using_it(
    live_server: LiveHq, tmp_path: Path
) -> None:
    live_server.add_tenant("Acme")
    node = make_node(live_server, tmp_path, "laptop", "Acme")
    store = node.store
    local = store.device.id
    enrolled = load_refresh_token(store.data_dir, local)
    new_case(store)
    assert node.sync().ok
    transport = make_transport(store)
    try:
        transport.refresh()
        rotated = load_refresh_token(store.data_dir, local)
        assert rotated and rotated != enrolled  # stored as soon as HQ rotated it
        # A crash between HQ's commit and the store: the device still holds `rotated` while HQ
        # has moved on once; the next refresh with it is forgiven (its successor was unused).
        with live_server.client() as http:
            lost = http.post(
                "/v1/auth/token",
                json={"device_id": transport.device_id, "refresh_token": rotated},
            )
        assert lost.status_code == 200
        transport.refresh()
        assert transport.request("GET", "/sync/pull").status_code == 200
        after = load_refresh_token(store.data_dir, local)
        assert after not in (enrolled, rotated, lost.json()["refresh_token"])
    finally:
        transport.close()
        node.close()
    # After a restart the app reads the stored token and keeps syncing.
    reopened = Node("laptop", open_store(tmp_path / "laptop"), live_server.base_url)
    try:
        new_case(reopened.store, "after restart")
        transport = make_transport(reopened.store)
        try:
            transport.refresh()
        finally:
            transport.close()
        result = reopened.sync()
        assert result.ok and result.drained
    finally:
        reopened.close()
