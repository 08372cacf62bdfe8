"""HQ operator actions shared by the `fairdesk-hq` CLI, the API and the tests."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from sync.protocol import AlertAckInfo, DeviceInfo, EscalationInfo
from sync.server import alerts, epoch, payload, uploads
from sync.server.accounts import as_role
from sync.server.db import advance_streams, lock_streams, take_sequence
from sync.server.errors import ApiError, not_found
from sync.server.models import (
    ChangeLog,
    Conflict,
    Device,
    DeviceToken,
    EnrollCode,
    Escalation,
    Record,
    ReferenceEntry,
    RiskAlert,
    Tenant,
    TenantSequence,
    User,
    utcnow,
)
from sync.server.push import conflict_snapshot, shared_id_clashes
from sync.server.security import hash_secret, new_enroll_code, normalise_enroll_code

COMPANY_ROLES = ("responder", "legal", "admin")
# Reference data is written by HQ staff, not devices: a looser nesting limit than `changes`.
REFERENCE_MAX_DEPTH = 64
GUIDANCE_ROLES = ("guidance", "admin")


class AdminError(Exception):
    """An operator mistake (unknown tenant, wrong role...): printed, exit status 2."""


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise AdminError(f"bad duration {text!r}: use e.g. 30m, 24h, 7d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def tenant_by_name(session: Session, name: str) -> Tenant:
    tenant = session.scalars(select(Tenant).where(Tenant.name == name)).first()
    if tenant is None:
        raise AdminError(f"no tenant named {name!r}")
    return tenant


def add_tenant(session: Session, name: str, kind: str, quota_bytes: int) -> Tenant:
    if kind not in ("company", "guidance"):
        raise AdminError("kind must be company or guidance")
    if session.scalars(select(Tenant).where(Tenant.name == name)).first() is not None:
        raise AdminError(f"tenant {name!r} exists")
    tenant = Tenant(name=name, kind=kind, quota_bytes=quota_bytes, pruned_through_seq=0)
    session.add(tenant)
    session.flush()
    # Its own change-log stream, from 1, with its own epoch (see `sync.server.db`).
    session.add(TenantSequence(tenant_id=tenant.id, value=0, epoch=epoch.fresh()))
    session.flush()
    return tenant


def check_role(tenant: Tenant, role: str) -> str:
    allowed = GUIDANCE_ROLES if tenant.kind == "guidance" else COMPANY_ROLES
    if role not in allowed:
        raise AdminError(f"role {role!r} not allowed for a {tenant.kind} tenant: {allowed}")
    return as_role(role)


def add_user(session: Session, tenant_name: str, name: str, role: str, email: str | None) -> User:
    tenant = tenant_by_name(session, tenant_name)
    user = User(tenant_id=tenant.id, name=name, role=check_role(tenant, role), email=email)
    session.add(user)
    session.flush()
    return user


def make_enroll_code(
    session: Session,
    tenant_name: str,
    role: str | None,
    expires: timedelta,
    user_name: str | None = None,
) -> str:
    tenant = tenant_by_name(session, tenant_name)
    role = role or ("guidance" if tenant.kind == "guidance" else "responder")
    user_id = None
    if user_name is not None:
        user = session.scalars(
            select(User).where(User.tenant_id == tenant.id, User.name == user_name)
        ).first()
        if user is None:
            raise AdminError(f"no user {user_name!r} in {tenant_name!r}")
        user_id = user.id
    code = new_enroll_code()
    session.add(
        EnrollCode(
            code_hash=hash_secret(normalise_enroll_code(code)),
            tenant_id=tenant.id,
            role=check_role(tenant, role),
            user_id=user_id,
            expires_at=utcnow() + expires,
            used_at=None,
            device_id=None,
        )
    )
    return code


def device_info(device: Device) -> DeviceInfo:
    return DeviceInfo(
        device_id=device.id,
        name=device.name,
        role=as_role(device.role),
        created_at=device.created_at.isoformat(),
        last_seen_at=device.last_seen_at.isoformat() if device.last_seen_at else None,
        revoked=device.revoked_at is not None,
        last_mutation_id=device.last_mutation_id,
    )


def list_devices(session: Session, tenant_id: str) -> list[DeviceInfo]:
    devices = session.scalars(
        select(Device).where(Device.tenant_id == tenant_id).order_by(Device.created_at)
    )
    return [device_info(d) for d in devices]


def revoke_device(session: Session, tenant_id: str | None, device_id: str) -> DeviceInfo:
    """Revoke; with `tenant_id` the device must belong to it (else the same 404 as unknown)."""
    device = session.get(Device, device_id)
    if device is None or (tenant_id is not None and device.tenant_id != tenant_id):
        raise not_found("unknown device")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
    # Its unfinished uploads no longer hold the tenant's quota (their bytes go at the next
    # `fairdesk-hq uploads expire`).
    uploads.release_device(session, device.id)
    return device_info(device)


def escalate(session: Session, tenant_id: str, case_id: str, guidance_name: str) -> EscalationInfo:
    """Share a case with a guidance centre; its rows are re-published so the centre pulls them."""
    guidance = session.scalars(
        select(Tenant).where(Tenant.name == guidance_name, Tenant.kind == "guidance")
    ).first()
    if guidance is None:
        raise not_found("unknown guidance centre")
    case = session.get(Record, (tenant_id, "case", case_id))
    if case is None:
        raise not_found("unknown case")
    # Both streams locked first (the company's, so no push of the case slips between the copy
    # and the escalation; the centre's, which receives the copies), in the fixed order.
    heads = lock_streams(session, {tenant_id, guidance.id})
    existing = session.get(Escalation, (tenant_id, case_id))
    if existing is not None:
        if existing.guidance_tenant_id != guidance.id:
            raise ApiError(409, "already_escalated", "case is escalated to another centre")
        return EscalationInfo(
            case_id=case_id, guidance_centre=guidance.name, server_seq=heads[tenant_id]
        )
    records = list(
        session.scalars(
            select(Record)
            .where(Record.tenant_id == tenant_id, Record.case_id == case_id)
            .order_by(Record.updated_seq)
        )
    )
    conflicts = list(
        session.scalars(
            select(Conflict).where(Conflict.tenant_id == tenant_id, Conflict.case_id == case_id)
        )
    )
    # Checked under the centre's lock, so two escalations cannot both pass it.
    if shared_id_clashes(session, guidance.id, tenant_id, [rec.entity_id for rec in records]):
        # The centre's devices key rows by id: another company's shared rows would be merged.
        raise ApiError(
            409,
            "id_in_use",
            "this case holds an id the guidance centre already has from elsewhere; "
            "it cannot be escalated there",
        )
    # Copies go to the centre's stream only: the company's devices hold these rows already.
    seq = first = heads[guidance.id] + 1
    for rec in records:
        session.add(
            ChangeLog(
                stream_id=guidance.id,
                server_seq=seq,
                tenant_id=tenant_id,
                entity=rec.entity,
                entity_id=rec.entity_id,
                case_id=case_id,
                version=rec.version,
                fields=rec.fields,
                deleted=rec.deleted,
                device_id=None,
                mutation_id=None,
            )
        )
        seq += 1
    for conflict in conflicts:
        session.add(
            ChangeLog(
                stream_id=guidance.id,
                server_seq=seq,
                tenant_id=tenant_id,
                entity="sync_conflict",
                entity_id=conflict.id,
                case_id=case_id,
                version=2 if conflict.resolved_at else 1,
                fields=conflict_snapshot(conflict),
                deleted=False,
                device_id=None,
                mutation_id=None,
            )
        )
        seq += 1
    session.add(
        Escalation(
            tenant_id=tenant_id,
            case_id=case_id,
            guidance_tenant_id=guidance.id,
            server_seq=first,
        )
    )
    advance_streams(session, heads, {guidance.id: seq - 1})
    # The company learns its own stream's position, never the centre's (another tenant's).
    return EscalationInfo(
        case_id=case_id, guidance_centre=guidance.name, server_seq=heads[tenant_id]
    )


def publish_alert(
    session: Session,
    title: str,
    body: str,
    severity: str | None,
    fair: str | None,
    tenant_name: str | None,
    *,
    level: str | None = None,
    title_zh: str = "",
    body_zh: str = "",
    countries: list[str] | None = None,
    fairs: list[str] | None = None,
    goods: list[str] | None = None,
    valid_from: str | None = None,
    valid_until: str | None = None,
) -> RiskAlert:
    """Publish an alert; `level` (red/yellow/blue) and `severity` are the same scale."""
    try:
        severity = alerts.resolve_severity(severity, level)
        extra = alerts.details(
            title_zh=title_zh,
            body_zh=body_zh,
            countries=countries,
            fairs=[*([fair] if fair else []), *(fairs or [])],
            goods=goods,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    except alerts.AlertInputError as exc:
        raise AdminError(str(exc)) from exc
    if not title.strip():
        raise AdminError("the alert needs a title")
    tenant_id = tenant_by_name(session, tenant_name).id if tenant_name else None
    alert = RiskAlert(
        seq=take_sequence(session, 1),
        tenant_id=tenant_id,
        severity=severity,
        title=title,
        body=body,
        # The first fair, for devices that only read the original single-fair field.
        fair=extra["fairs"][0] if extra["fairs"] else None,
        details=extra,
    )
    session.add(alert)
    session.flush()
    return alert


def alert_acks(
    session: Session, tenant_name: str | None, alert_id: str | None = None
) -> list[AlertAckInfo]:
    tenant_id = tenant_by_name(session, tenant_name).id if tenant_name else None
    return alerts.list_acks(session, tenant_id, alert_id)


def publish_reference(
    session: Session,
    kind: str,
    key: str,
    data: dict[str, Any],
    tenant_name: str | None,
    deleted: bool = False,
) -> ReferenceEntry:
    # Every device pulls this: what could not be stored or sent must not get in (see payload).
    problem = payload.json_problem(data, max_depth=REFERENCE_MAX_DEPTH)
    if problem:
        raise AdminError(f"the data cannot be published: {problem}")
    tenant_id = tenant_by_name(session, tenant_name).id if tenant_name else None
    entry = session.scalars(
        select(ReferenceEntry).where(
            ReferenceEntry.kind == kind,
            ReferenceEntry.key == key,
            ReferenceEntry.tenant_id.is_(None)
            if tenant_id is None
            else ReferenceEntry.tenant_id == tenant_id,
        )
    ).first()
    seq = take_sequence(session, 1)
    if entry is None:
        entry = ReferenceEntry(kind=kind, key=key, tenant_id=tenant_id, seq=seq, data=data)
        session.add(entry)
    entry.seq, entry.data, entry.deleted, entry.published_at = seq, data, deleted, utcnow()
    session.flush()
    return entry


def prune(session: Session, keep_days: int) -> int:
    """Drop superseded change-log rows older than `keep_days`; older cursors then get 410.

    Each stream is pruned on its own, up to its own newest row older than the cutoff (its
    tenant's prune mark), so the mark a device meets says nothing about other tenants. The
    newest row of every record is kept, so a pull from cursor 0 still rebuilds everything.
    """
    cutoff = utcnow() - timedelta(days=keep_days)
    removed = 0
    for stream in session.scalars(select(TenantSequence.tenant_id)).all():
        in_stream = ChangeLog.stream_id == stream
        watermark = session.scalars(
            select(func.max(ChangeLog.server_seq)).where(in_stream, ChangeLog.created_at < cutoff)
        ).one()
        if watermark is None:
            continue
        newest = (
            select(func.max(ChangeLog.server_seq))
            .where(in_stream)
            .group_by(ChangeLog.tenant_id, ChangeLog.entity, ChangeLog.entity_id)
            .scalar_subquery()
        )
        result = session.execute(
            delete(ChangeLog).where(
                in_stream, ChangeLog.server_seq <= watermark, ChangeLog.server_seq.not_in(newest)
            )
        )
        session.execute(
            update(Tenant)
            .where(Tenant.id == stream, Tenant.pruned_through_seq < watermark)
            .values(pruned_through_seq=watermark)
        )
        removed += int(getattr(result, "rowcount", 0))
    return removed


def prune_tokens(session: Session, keep_days: int) -> int:
    """Delete expired access and refresh tokens, and spent or retired ones no longer needed.

    A spent refresh token is kept `keep_days` after its successor was used, so that a copy of
    it still trips reuse detection; one whose successor was never used is kept (the device may
    still hold only it, after an answer was lost). Retired tokens go `keep_days` after issue.
    """
    now = utcnow()
    expired = session.execute(delete(DeviceToken).where(DeviceToken.expires_at <= now))
    child = aliased(DeviceToken)
    spent = session.execute(
        delete(DeviceToken).where(
            DeviceToken.kind == "refresh",
            DeviceToken.used_at < now - timedelta(days=keep_days),
            exists()
            .where(child.parent_hash == DeviceToken.token_hash, child.used_at.is_not(None))
            .correlate(DeviceToken),
        )
    )
    # Retired tokens (successors lost with their answer) pile up behind devices that never
    # store a rotated token (older versions): only reuse detection needs them, for a while.
    retired = session.execute(
        delete(DeviceToken).where(
            DeviceToken.kind == "retired",
            DeviceToken.created_at < now - timedelta(days=keep_days),
        )
    )
    return sum(int(getattr(r, "rowcount", 0)) for r in (expired, spent, retired))
