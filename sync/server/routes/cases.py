"""Case views for HQ legal staff and escalation of a case to a guidance centre."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import and_, func, select

from sync.protocol import (
    CONFLICT_ENTITY,
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    MAX_WIRE_INT,
    CaseView,
    Change,
    EscalateRequest,
    EscalationInfo,
)
from sync.server import admin
from sync.server.deps import CallerDep, DatabaseDep, ReadSessionDep, SettingsDep
from sync.server.errors import error_responses, forbidden, not_found
from sync.server.models import ChangeLog, Escalation, Record
from sync.server.pull import bounded_page

router = APIRouter(tags=["cases"])

CaseId = Annotated[str, Path(max_length=64)]


@router.get("/cases/{case_id}", responses=error_responses(401, 404))
def get_case(
    case_id: CaseId,
    caller: CallerDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    cursor: Annotated[int, Query(ge=0, le=MAX_WIRE_INT)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
) -> CaseView:
    """The case's records in pages (by `server_seq`, like pull: `limit` rows and a byte budget);
    open conflicts come with the first page (`cursor` 0)."""
    owner = caller.tenant_id
    if caller.is_guidance:
        escalated = session.scalars(
            select(Escalation.tenant_id).where(
                Escalation.case_id == case_id, Escalation.guidance_tenant_id == caller.tenant_id
            )
        ).first()
        if escalated is None:
            raise not_found("unknown case")
        owner = escalated
    if session.get(Record, (owner, "case", case_id)) is None:
        raise not_found("unknown case")
    # The newest change-log row of each record is its current state in wire form, numbered in
    # the caller's own stream (a guidance centre reads its copies: the company's numbers
    # would tell it how much the company writes).
    stream = caller.tenant_id
    query = select(ChangeLog)
    if caller.is_guidance:
        newest = (
            select(func.max(ChangeLog.server_seq))
            .where(
                ChangeLog.stream_id == stream,
                ChangeLog.tenant_id == owner,
                ChangeLog.case_id == case_id,
                ChangeLog.entity != CONFLICT_ENTITY,
            )
            .group_by(ChangeLog.entity, ChangeLog.entity_id)
        )
        query = query.where(ChangeLog.stream_id == stream, ChangeLog.server_seq.in_(newest))
    else:
        query = query.join(
            Record,
            and_(
                Record.tenant_id == ChangeLog.tenant_id,
                Record.entity == ChangeLog.entity,
                Record.entity_id == ChangeLog.entity_id,
                Record.updated_seq == ChangeLog.server_seq,
                ChangeLog.stream_id == Record.tenant_id,
            ),
        ).where(Record.tenant_id == owner, Record.case_id == case_id)
    rows = session.scalars(
        query.where(ChangeLog.server_seq > cursor).order_by(ChangeLog.server_seq).limit(limit + 1)
    )
    records, last_seq, has_more = bounded_page(rows, limit, settings.max_pull_bytes)
    open_conflicts: list[Change] = []
    if cursor == 0:
        conflicts = session.scalars(
            select(ChangeLog)
            .where(
                ChangeLog.stream_id == stream,
                ChangeLog.tenant_id == owner,
                ChangeLog.case_id == case_id,
                ChangeLog.entity == CONFLICT_ENTITY,
            )
            .order_by(ChangeLog.server_seq)
        )
        latest = {row.entity_id: row for row in conflicts}
        unresolved = [row for row in latest.values() if not row.fields.get("resolved")]
        open_conflicts, _, _ = bounded_page(unresolved, len(unresolved), settings.max_pull_bytes)
    return CaseView(
        case_id=case_id,
        records=records,
        open_conflicts=open_conflicts,
        next_cursor=last_seq if last_seq is not None else cursor,
        has_more=has_more,
    )


@router.post("/cases/{case_id}/escalate", responses=error_responses(401, 403, 404, 409))
def escalate_case(
    case_id: CaseId, body: EscalateRequest, caller: CallerDep, db: DatabaseDep
) -> EscalationInfo:
    if caller.is_guidance or caller.role not in ("legal", "admin"):
        raise forbidden("only company legal staff or admins escalate cases")
    with db.writing() as session:
        return admin.escalate(session, caller.tenant_id, case_id, body.guidance_centre)
