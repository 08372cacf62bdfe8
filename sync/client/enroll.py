"""Enrolling this installation with an HQ server using a one-time code.

The server returns the device id and a refresh token; the token goes to the keychain (or the
0600 fallback file), the rest into ``sync_account``. Outbox entries not yet sent are numbered
from 1 for the new server identity (``mutation_base``), and the pull cursor starts at 0.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from sqlalchemy import func, select

from fairdesk.enums import UNSENT_STATES
from fairdesk.errors import ValidationError
from fairdesk.i18n import _
from fairdesk.model import OutboxEntry, SyncState
from fairdesk.store import Store
from fairdesk.syncmodel import SyncAccount
from fairdesk.timeutil import utcnow
from sync.client.credentials import save_refresh_token
from sync.client.errors import ServerError
from sync.client.transport import Transport, normalise_url
from sync.protocol import EnrollResponse


@dataclass(frozen=True)
class Enrolled:
    server_url: str
    device_id: str
    tenant_name: str
    tenant_kind: str
    role: str
    token_kept_in: str  # "keyring" | "file"


def enroll(store: Store, server_url: str, code: str, device_name: str = "") -> Enrolled:
    code = code.strip()
    if not code:
        raise ValidationError(_("Enter the enrolment code HQ gave you."))
    url = normalise_url(server_url)
    transport = Transport(url)
    try:
        name = device_name or f"{store.device.user_name or 'FairDesk'} @ {platform.node()}"
        status, body = transport.json(
            "POST",
            "/devices/enroll",
            auth=False,
            json={"enroll_code": code, "device_name": name[:200]},
        )
    finally:
        transport.close()
    if status in (401, 403, 404):
        raise ValidationError(
            _(
                "HQ did not accept this enrolment code (wrong, used or expired). Ask HQ for a new one."
            )
        )
    if status not in (200, 201):
        raise ServerError(
            _("HQ refused the enrolment ({status}: {error}).").format(
                status=status, error=body.get("error", "")
            ),
            status,
        )
    answer = EnrollResponse.model_validate(body)
    where = save_refresh_token(store.data_dir, store.device.id, answer.refresh_token)
    with store.write() as session:
        first_unsent = session.scalar(
            select(func.min(OutboxEntry.mutation_id)).where(OutboxEntry.state.in_(UNSENT_STATES))
        )
        last = session.scalar(select(func.max(OutboxEntry.mutation_id))) or 0
        base = (int(first_unsent) - 1) if first_unsent is not None else int(last)
        account = session.get(SyncAccount, 1)
        if account is None:
            account = SyncAccount(id=1, enrolled_at=utcnow())
            session.add(account)
        account.server_url = url
        account.device_id = answer.device_id
        account.tenant_id = answer.tenant_id
        account.tenant_name = answer.tenant_name
        account.tenant_kind = answer.tenant_kind
        account.role = answer.role
        account.mutation_base = base
        account.blobs_scanned_through = 0
        account.snapshot_until, account.hq_epoch = 0, ""  # a new HQ identity: nothing known
        account.enrolled_at = utcnow()
        account.last_error = ""
        state = session.get(SyncState, 1)
        assert state is not None
        state.server_url = url
        state.pull_cursor = "0"
        state.last_acked_mutation_id = base
    return Enrolled(
        url, answer.device_id, answer.tenant_name, answer.tenant_kind, answer.role, where
    )
