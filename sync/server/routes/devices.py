"""Enrolment, tokens and device administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from sync.protocol import DeviceInfo, EnrollRequest, EnrollResponse, TokenRequest, TokenResponse
from sync.server import admin
from sync.server.accounts import RefreshReused, enroll, refresh_access
from sync.server.deps import AdminDep, DatabaseDep, ReadSessionDep, SettingsDep
from sync.server.errors import error_responses, unauthorized

router = APIRouter(tags=["devices"])

DeviceId = Annotated[str, Path(max_length=64)]


@router.post("/devices/enroll", status_code=201, responses=error_responses(401, 413))
def enroll_device(body: EnrollRequest, db: DatabaseDep, settings: SettingsDep) -> EnrollResponse:
    with db.writing() as session:
        return enroll(session, settings, body.enroll_code, body.device_name)


@router.post("/auth/token", responses=error_responses(401, 413))
def access_token(body: TokenRequest, db: DatabaseDep, settings: SettingsDep) -> TokenResponse:
    with db.writing() as session:
        try:
            return refresh_access(session, settings, body.device_id, body.refresh_token)
        except RefreshReused:
            pass  # leaving the block normally commits the revocation; then the 401
    raise unauthorized("refresh token reused: this device must enrol again")


@router.get("/devices", responses=error_responses(401, 403))
def list_devices(caller: AdminDep, session: ReadSessionDep) -> list[DeviceInfo]:
    return admin.list_devices(session, caller.tenant_id)


@router.post("/devices/{device_id}/revoke", responses=error_responses(401, 403, 404))
def revoke_device(device_id: DeviceId, caller: AdminDep, db: DatabaseDep) -> DeviceInfo:
    with db.writing() as session:
        return admin.revoke_device(session, caller.tenant_id, device_id)
