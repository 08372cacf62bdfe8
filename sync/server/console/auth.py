"""Staff sign-in: Argon2id passwords, optional TOTP, lock-out with growing delay, sessions, CSRF.

Sessions are random 256-bit cookie values; the database keeps only their SHA-256, a per-session
CSRF token, an idle expiry (sliding) and an absolute one. Failed sign-ins lock the account for
30 s, 1, 2, 4 ... minutes (at most 15) from the third failure on, and an unknown user costs
the same Argon2 verification as a known one, so timing does not tell which names exist.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync.server.console import totp
from sync.server.console.i18n import N_
from sync.server.console.models import ConsoleLogin, ConsoleSession
from sync.server.models import Tenant, User, utcnow
from sync.server.security import hash_secret

CONSOLE_ROLES = ("legal", "admin", "guidance")
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
FREE_FAILURES = 2
MAX_LOCK = timedelta(minutes=15)
LOCK_STEP = timedelta(seconds=30)
MIN_PASSWORD = 10

_hasher = PasswordHasher()  # argon2-cffi's default type is Argon2id
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class SignInError(Exception):
    """Shown to the person signing in; `retry_after` is set while the account is locked."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Staff:
    """The signed-in person; every console query is scoped by `tenant_id` from here."""

    user_id: str
    name: str
    role: str
    tenant_id: str
    tenant_name: str
    tenant_kind: str
    csrf_token: str

    @property
    def is_guidance(self) -> bool:
        return self.tenant_kind == "guidance"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a console password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def set_password(session: Session, user: User, password: str, with_totp: bool) -> str | None:
    """Set (or replace) a user's console password; returns a new TOTP secret if asked for."""
    if user.role not in CONSOLE_ROLES:
        raise ValueError(f"role {user.role!r} cannot sign in to the console: {CONSOLE_ROLES}")
    login = session.get(ConsoleLogin, user.id)
    if login is None:
        login = ConsoleLogin(user_id=user.id, failed_count=0, locked_until=None)
        session.add(login)
    login.password_hash = hash_password(password)
    login.failed_count, login.locked_until, login.updated_at = 0, None, utcnow()
    secret = totp.new_secret() if with_totp else None
    login.totp_secret = secret
    # A new password ends every existing session of that user.
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
    session.flush()
    return secret


def _lock_for(failures: int) -> timedelta:
    if failures <= FREE_FAILURES:
        return timedelta(0)
    grown: timedelta = LOCK_STEP * 2 ** (failures - FREE_FAILURES - 1)
    return min(grown, MAX_LOCK)


def sign_in(
    session: Session, tenant_name: str, user_name: str, password: str, code: str
) -> tuple[str, Staff]:
    """Check the credentials and open a session; returns (cookie value, staff)."""
    wrong = SignInError(N_("Wrong organisation, name, password or code."))
    row = session.execute(
        select(User, Tenant, ConsoleLogin)
        .join(Tenant, Tenant.id == User.tenant_id)
        .join(ConsoleLogin, ConsoleLogin.user_id == User.id)
        .where(Tenant.name == tenant_name.strip(), User.name == user_name.strip())
    ).one_or_none()
    if row is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password or "-")
        raise wrong
    user, tenant, login = row
    now = utcnow()
    if login.locked_until is not None and login.locked_until > now:
        wait = int((login.locked_until - now).total_seconds()) + 1
        raise SignInError(N_("Too many failed attempts: wait and try again."), retry_after=wait)
    ok = False
    try:
        ok = _hasher.verify(login.password_hash, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and login.totp_secret:
        ok = totp.verify(login.totp_secret, code)
    if not ok or user.role not in CONSOLE_ROLES:
        login.failed_count += 1
        lock = _lock_for(login.failed_count)
        login.locked_until = now + lock if lock else None
        raise wrong
    login.failed_count, login.locked_until = 0, None
    if _hasher.check_needs_rehash(login.password_hash):
        login.password_hash = _hasher.hash(password)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=hash_secret(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE,
        )
    )
    return token, _staff(user, tenant, csrf)


def _staff(user: User, tenant: Tenant, csrf: str) -> Staff:
    return Staff(
        user_id=user.id,
        name=user.name,
        role=user.role,
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        tenant_kind=tenant.kind,
        csrf_token=csrf,
    )


def session_staff(session: Session, token: str | None, now: datetime | None = None) -> Staff | None:
    """The staff member behind a session cookie, or None if missing, unknown or expired."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.execute(
        select(ConsoleSession, User, Tenant)
        .join(User, User.id == ConsoleSession.user_id)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(ConsoleSession.token_hash == hash_secret(token))
    ).one_or_none()
    if row is None:
        return None
    console_session, user, tenant = row
    if console_session.expires_at <= now or console_session.last_seen_at + IDLE <= now:
        session.delete(console_session)
        return None
    if user.role not in CONSOLE_ROLES:
        return None
    console_session.last_seen_at = now
    return _staff(user, tenant, console_session.csrf_token)


def sign_out(session: Session, token: str | None) -> None:
    if token:
        session.execute(
            delete(ConsoleSession).where(ConsoleSession.token_hash == hash_secret(token))
        )


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
