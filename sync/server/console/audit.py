"""The console's append-only audit log: who did what, when, from where."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.server.console.auth import Staff
from sync.server.console.models import AuditEntry


def record(
    session: Session,
    staff: Staff | None,
    action: str,
    target: str = "",
    detail: str = "",
    ip: str = "",
    *,
    tenant_id: str | None = None,
    user_name: str = "",
) -> None:
    session.add(
        AuditEntry(
            tenant_id=staff.tenant_id if staff else tenant_id,
            user_id=staff.user_id if staff else None,
            user_name=(staff.name if staff else user_name)[:200],
            action=action[:64],
            target=target[:300],
            detail=detail[:2000],
            ip=ip[:64],
        )
    )


def entries(session: Session, tenant_id: str, limit: int = 500) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.tenant_id == tenant_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": e.at.isoformat(),
            "user": e.user_name,
            "action": e.action,
            "target": e.target,
            "detail": e.detail,
            "ip": e.ip,
        }
        for e in rows
    ]
