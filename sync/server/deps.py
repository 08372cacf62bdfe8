"""Request dependencies: settings, database, blob store and the authenticated device."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.server.blobstore import BlobStore
from sync.server.config import Settings
from sync.server.db import Database
from sync.server.errors import forbidden, unauthorized
from sync.server.models import Device, DeviceToken, Tenant, utcnow
from sync.server.security import hash_secret


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
StoreDep = Annotated[BlobStore, Depends(get_store)]


def read_session(db: DatabaseDep) -> Iterator[Session]:
    with db.reading() as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(read_session)]


@dataclass(frozen=True)
class Caller:
    """The authenticated device; every handler scopes its queries by `tenant_id` from here."""

    device_id: str
    tenant_id: str
    tenant_kind: str
    role: str
    user_id: str | None

    @property
    def is_guidance(self) -> bool:
        return self.tenant_kind == "guidance"


_bearer = HTTPBearer(auto_error=False, description="Device access token from /v1/auth/token")


def authenticate(
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Look the access token up on every request, so revocation bites on the very next one."""
    if credentials is None:
        raise unauthorized("missing bearer token")
    token = credentials.credentials
    if not token or len(token) > 200:
        raise unauthorized()
    with db.reading() as session:
        row = session.execute(
            select(DeviceToken, Device, Tenant)
            .join(Device, Device.id == DeviceToken.device_id)
            .join(Tenant, Tenant.id == Device.tenant_id)
            .where(DeviceToken.token_hash == hash_secret(token), DeviceToken.kind == "access")
        ).one_or_none()
    if row is None:
        raise unauthorized()
    access, device, tenant = row
    if device.revoked_at is not None or access.expires_at <= utcnow():
        raise unauthorized()
    return Caller(
        device_id=device.id,
        tenant_id=tenant.id,
        tenant_kind=tenant.kind,
        role=device.role,
        user_id=device.user_id,
    )


CallerDep = Annotated[Caller, Depends(authenticate)]


def require_admin(caller: CallerDep) -> Caller:
    if caller.role != "admin":
        raise forbidden("needs the admin role")
    return caller


AdminDep = Annotated[Caller, Depends(require_admin)]
