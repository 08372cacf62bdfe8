"""What an HQ machine (the app enrolled as legal staff or admin) does beyond syncing.

It pulls every case of its tenant like any device and edits them like any device; in addition
it may hand a case to the guidance centre (``POST /v1/cases/{id}/escalate``), which then pulls
that case (and only that case). The case's status becomes "escalated" by an ordinary edit, so
every device sees it.
"""

from __future__ import annotations

from fairdesk import cases
from fairdesk.errors import ValidationError
from fairdesk.i18n import _
from fairdesk.model import Status
from fairdesk.store import Store
from fairdesk.syncmodel import SyncAccount
from sync.client.engine import make_transport
from sync.client.errors import ServerError
from sync.protocol import EscalationInfo


def escalate(store: Store, case_id: str, guidance_centre: str, reason: str = "") -> EscalationInfo:
    with store.read() as session:
        account = session.get(SyncAccount, 1)
        role = account.role if account else ""
    if role not in ("legal", "admin"):
        raise ValidationError(_("Only HQ legal staff or admins can escalate a case."))
    transport = make_transport(store)
    try:
        status, body = transport.json(
            "POST", f"/cases/{case_id}/escalate", json={"guidance_centre": guidance_centre}
        )
    finally:
        transport.close()
    if status == 404:
        raise ValidationError(
            _("HQ does not know this case or guidance centre yet; sync first and check the name.")
        )
    if status != 200:
        raise ServerError(
            _("HQ refused the escalation ({status}: {error}).").format(
                status=status, error=body.get("error", "")
            ),
            status,
        )
    cases.edit_case(store, case_id, cases.CaseEdit(status=Status.ESCALATED), reason=reason)
    return EscalationInfo.model_validate(body)
