"""What `fairdesk-hq user passwd` and `fairdesk-hq case list|show` need from the console side."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.server import queries, summary
from sync.server.admin import AdminError, tenant_by_name
from sync.server.console import auth, totp
from sync.server.models import User


def user_by_name(session: Session, tenant_name: str, name: str) -> User:
    tenant = tenant_by_name(session, tenant_name)
    user = session.scalars(
        select(User).where(User.tenant_id == tenant.id, User.name == name)
    ).first()
    if user is None:
        raise AdminError(f"no user {name!r} in {tenant_name!r}")
    return user


def set_password(session: Session, user: User, password: str, with_totp: bool) -> str | None:
    try:
        return auth.set_password(session, user, password, with_totp)
    except ValueError as exc:
        raise AdminError(str(exc)) from exc


def totp_uri(secret: str, tenant_name: str, user_name: str) -> str:
    return totp.provisioning_uri(secret, f"{user_name}@{tenant_name}")


def scope_of(session: Session, tenant_name: str) -> queries.Scope:
    tenant = tenant_by_name(session, tenant_name)
    return queries.Scope(tenant.id, tenant.kind == "guidance")


def show_case(
    session: summary.SummarySession, scope: queries.Scope, case_id: str
) -> tuple[Any, str]:
    try:
        data = queries.show_case(session, scope, case_id)
    except queries.CaseNotFound as exc:
        raise AdminError(f"no case {case_id!r} for this tenant") from exc
    return data, json.dumps(data, indent=2, ensure_ascii=False)
