"""HQ's epoch: which life of the database a device's cursor and acknowledgements belong to.

A restore from an older backup takes HQ back in time: sequence numbers and devices' mutation ids
it had already handed out are handed out again for other changes. The devices cannot see that
from the numbers alone, so HQ keeps a random epoch id in its own database (one per tenant in
``tenant_sequences.epoch``; a backup restores the old ones) and replaces it as soon as it sees
proof that it was restored — a device whose pull cursor is beyond its tenant's sequence, a device that says HQ
acknowledged mutations HQ does not hold, a push that leaves a gap after what HQ holds — or when
the operator says so (``fairdesk-hq new-epoch``, step 4 of the restore procedure in the server
README). Every pull answer carries the epoch; a device showing another one gets 410
``hq_restored`` with the last mutation HQ holds from it, re-pushes everything after that and
pulls everything again (sync/client/pull.py).

Since 0009s each tenant has its own epoch (``tenant_sequences.epoch``): a device's proof
replaces only its own tenant's, so one tenant's devices can neither learn about nor disrupt
another's (an operator's ``new-epoch`` replaces every tenant's).
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync.server.db import Database
from sync.server.models import TenantSequence


def _fmt(value: int | None) -> str:
    return f"{value:016x}" if value else ""


def fresh() -> int:
    return secrets.randbits(62) + 1


def current(session: Session, tenant_id: str) -> str:
    """The tenant's epoch id ("" if it has none: no device is checked against it)."""
    return _fmt(
        session.scalars(
            select(TenantSequence.epoch).where(TenantSequence.tenant_id == tenant_id)
        ).first()
    )


def replace(session: Session, tenant_id: str) -> str:
    """A new epoch id for the tenant, in the caller's write transaction; returns it."""
    value = fresh()
    session.execute(
        update(TenantSequence).where(TenantSequence.tenant_id == tenant_id).values(epoch=value)
    )
    session.flush()
    return _fmt(value)


def replace_all(session: Session) -> int:
    """A new epoch for every tenant (``fairdesk-hq new-epoch``); returns how many."""
    tenants = list(session.scalars(select(TenantSequence.tenant_id)))
    for tenant_id in tenants:
        replace(session, tenant_id)
    return len(tenants)


def rotate(db: Database, tenant_id: str, seen: str) -> str:
    """Replace the tenant's epoch, unless another request already did since `seen` was read."""
    with db.writing() as session:
        now = current(session, tenant_id)
        return now if now != seen else replace(session, tenant_id)
