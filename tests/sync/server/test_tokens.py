"""Tokens: enrolment codes are one-time; revoked, expired or forged tokens get 401 at once."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import update
from starlette.testclient import TestClient

from sync.protocol import is_server_response
from sync.server import admin
from sync.server.models import DeviceToken, utcnow
from sync.server.security import hash_secret
from tests.sync.hq_harness import DeviceClient
from tests.sync.server.helpers import database, device, tenant


def test_revocation_is_effective_on_the_next_request(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    boss = device(hq_http, hq_app, "Acme", "admin")
    laptop = device(hq_http, hq_app, "Acme")
    assert laptop.request("GET", "/v1/sync/pull").status_code == 200
    revoked = boss.request("POST", f"/v1/devices/{laptop.device_id}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    response = laptop.request("GET", "/v1/sync/pull")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert is_server_response(response.headers)
    assert laptop.refresh().status_code == 401  # and it cannot get a new access token


def test_expired_access_token_fails_and_refresh_recovers(
    hq_http: TestClient, hq_app: FastAPI
) -> None:
    tenant(hq_app, "Acme")
    laptop = device(hq_http, hq_app, "Acme")
    with database(hq_app).writing() as session:
        session.execute(
            update(DeviceToken)
            .where(DeviceToken.token_hash == hash_secret(laptop.access_token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert laptop.request("GET", "/v1/sync/pull").status_code == 401
    assert laptop.refresh().status_code == 200
    assert laptop.request("GET", "/v1/sync/pull").status_code == 200


def test_forged_and_misused_tokens_are_401(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    laptop = device(hq_http, hq_app, "Acme")
    for header in (
        {},
        {"Authorization": "Bearer fda_" + "A" * 43},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {
            "Authorization": f"Bearer {laptop.refresh_token}"
        },  # a refresh token is not an access token
        {"Authorization": "Bearer " + "x" * 500},
    ):
        assert hq_http.get("/v1/sync/pull", headers=header).status_code == 401
    assert (
        hq_http.post(
            "/v1/auth/token",
            json={"device_id": "someone-else", "refresh_token": laptop.refresh_token},
        ).status_code
        == 401
    )
    # Only hashes are stored.
    with database(hq_app).reading() as session:
        assert session.get(DeviceToken, hash_secret(laptop.access_token)) is not None
        assert session.get(DeviceToken, laptop.access_token) is None


def test_enrolment_codes_are_one_time_and_expire(hq_http: TestClient, hq_app: FastAPI) -> None:
    tenant(hq_app, "Acme")
    with database(hq_app).writing() as session:
        code = admin.make_enroll_code(session, "Acme", None, timedelta(hours=1))
        stale = admin.make_enroll_code(session, "Acme", None, timedelta(seconds=-1))
    DeviceClient.enroll(hq_http, code.lower().replace("-", " "))  # forgiving about typing
    for again in (code, stale, "AAAAA-BBBBB-CCCCC-DDDDD"):
        response = hq_http.post("/v1/devices/enroll", json={"enroll_code": again})
        assert response.status_code == 401
