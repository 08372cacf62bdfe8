"""Device enrolment and token issuing: short access tokens, long refresh tokens that rotate."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import cast, get_args

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sync.protocol import EnrollResponse, Role, TokenResponse
from sync.server.config import Settings
from sync.server.errors import unauthorized
from sync.server.models import Device, DeviceToken, EnrollCode, Tenant, utcnow
from sync.server.security import (
    ACCESS_PREFIX,
    REFRESH_PREFIX,
    hash_secret,
    new_token,
    normalise_enroll_code,
)

log = logging.getLogger(__name__)


def as_role(value: str) -> Role:
    """Narrow a stored role string (validated when the enrolment code was made)."""
    if value not in get_args(Role):
        raise ValueError(f"unknown role {value!r}")
    return cast(Role, value)


def _issue(
    session: Session,
    device_id: str,
    kind: str,
    ttl: timedelta,
    parent_hash: str | None = None,
) -> tuple[str, datetime]:
    token = new_token(ACCESS_PREFIX if kind == "access" else REFRESH_PREFIX)
    expires = utcnow() + ttl
    session.add(
        DeviceToken(
            token_hash=hash_secret(token),
            device_id=device_id,
            kind=kind,
            expires_at=expires,
            parent_hash=parent_hash,
        )
    )
    return token, expires


def enroll(session: Session, settings: Settings, code: str, device_name: str) -> EnrollResponse:
    code_hash = hash_secret(normalise_enroll_code(code))
    now = utcnow()
    # Claim the code with a conditional UPDATE so two devices racing for it cannot both win.
    enroll_row = session.get(EnrollCode, code_hash)
    if enroll_row is None or enroll_row.used_at is not None or enroll_row.expires_at <= now:
        raise unauthorized("unknown, used or expired enrolment code")
    device = Device(
        tenant_id=enroll_row.tenant_id,
        role=enroll_row.role,
        name=device_name,
        user_id=enroll_row.user_id,
        last_seen_at=now,
    )
    session.add(device)
    session.flush()
    claimed = session.execute(
        update(EnrollCode)
        .where(EnrollCode.code_hash == code_hash, EnrollCode.used_at.is_(None))
        .values(used_at=now, device_id=device.id)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise unauthorized("unknown, used or expired enrolment code")
    tenant = session.get_one(Tenant, enroll_row.tenant_id)
    refresh, _ = _issue(
        session, device.id, "refresh", timedelta(days=settings.refresh_token_ttl_days)
    )
    access, expires = _issue(
        session, device.id, "access", timedelta(seconds=settings.access_token_ttl_seconds)
    )
    return EnrollResponse(
        device_id=device.id,
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        tenant_kind="guidance" if tenant.kind == "guidance" else "company",
        role=as_role(device.role),
        refresh_token=refresh,
        access_token=access,
        access_expires_at=expires.isoformat(),
    )


class RefreshReused(Exception):
    """A spent refresh token came back after its successor was used: the chain is revoked."""


def refresh_access(
    session: Session, settings: Settings, device_id: str, refresh_token: str
) -> TokenResponse:
    """Trade a refresh token for an access token and a *new* refresh token (rotation).

    - A live token is spent (``used_at``) and replaced by a child token.
    - A spent token whose children were never used is a retry after a lost answer (the device
      kept the old token): the unused children are retired and a new child is issued.
    - A spent token whose child was used, or a retired token, is a copy in someone else's hands:
      every token of the device is deleted (`RefreshReused`; the caller commits, then answers
      401) and the device must enrol again.
    """
    token_hash = hash_secret(refresh_token)
    row = session.execute(
        select(DeviceToken, Device)
        .join(Device, Device.id == DeviceToken.device_id)
        .where(DeviceToken.token_hash == token_hash, DeviceToken.kind.in_(("refresh", "retired")))
        # Two refreshes with one token must not both see it unspent (PostgreSQL; SQLite writes
        # are serialised by BEGIN IMMEDIATE anyway).
        .with_for_update(of=DeviceToken)
    ).one_or_none()
    now = utcnow()
    if row is None:
        raise unauthorized("invalid refresh token")
    token, device = row
    if device.id != device_id or device.revoked_at is not None or token.expires_at <= now:
        raise unauthorized("invalid refresh token")
    if token.kind == "retired" or token.used_at is not None:
        children = list(
            session.scalars(select(DeviceToken).where(DeviceToken.parent_hash == token_hash))
        )
        if token.kind == "retired" or any(c.used_at is not None for c in children):
            log.warning("refresh token reused for device %s: every token revoked", device.id)
            session.execute(delete(DeviceToken).where(DeviceToken.device_id == device.id))
            raise RefreshReused(device.id)
        for child in children:  # the answer that carried them was lost: never to be used
            child.kind = "retired"
    else:
        token.used_at = now
    refresh, _ = _issue(
        session,
        device.id,
        "refresh",
        timedelta(days=settings.refresh_token_ttl_days),
        parent_hash=token_hash,
    )
    ttl = timedelta(seconds=settings.access_token_ttl_seconds)
    access, expires = _issue(session, device.id, "access", ttl)
    device.last_seen_at = now
    return TokenResponse(
        access_token=access,
        expires_at=expires.isoformat(),
        expires_in=int(ttl.total_seconds()),
        refresh_token=refresh,
    )
