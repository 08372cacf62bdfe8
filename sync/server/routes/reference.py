"""Read-only reference data and risk alerts published by HQ (`fairdesk-hq alert publish`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import or_, select

from sync.protocol import MAX_PULL_LIMIT, MAX_WIRE_INT, AlertPage, ReferenceItem, ReferencePage
from sync.server import alerts as alerts_mod
from sync.server.deps import CallerDep, ReadSessionDep
from sync.server.errors import error_responses
from sync.server.models import ReferenceEntry, RiskAlert

router = APIRouter(tags=["reference"])

Since = Annotated[int, Query(ge=0, le=MAX_WIRE_INT)]
Limit = Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)]


@router.get("/reference", responses=error_responses(401))
def reference(
    caller: CallerDep, session: ReadSessionDep, since: Since = 0, limit: Limit = 500
) -> ReferencePage:
    rows = list(
        session.scalars(
            select(ReferenceEntry)
            .where(
                ReferenceEntry.seq > since,
                or_(
                    ReferenceEntry.tenant_id.is_(None), ReferenceEntry.tenant_id == caller.tenant_id
                ),
            )
            .order_by(ReferenceEntry.seq)
            .limit(limit + 1)
        )
    )
    page = rows[:limit]
    return ReferencePage(
        items=[
            ReferenceItem(
                seq=r.seq,
                kind=r.kind,
                key=r.key,
                data=r.data,
                deleted=r.deleted,
                published_at=r.published_at.isoformat(),
            )
            for r in page
        ],
        next_cursor=page[-1].seq if page else since,
        has_more=len(rows) > limit,
    )


@router.get("/alerts", responses=error_responses(401))
def alerts(
    caller: CallerDep, session: ReadSessionDep, since: Since = 0, limit: Limit = 500
) -> AlertPage:
    rows = list(
        session.scalars(
            select(RiskAlert)
            .where(
                RiskAlert.seq > since,
                or_(RiskAlert.tenant_id.is_(None), RiskAlert.tenant_id == caller.tenant_id),
            )
            .order_by(RiskAlert.seq)
            .limit(limit + 1)
        )
    )
    page = rows[:limit]
    return AlertPage(
        items=[alerts_mod.to_wire(r) for r in page],
        next_cursor=page[-1].seq if page else since,
        has_more=len(rows) > limit,
    )
