"""Push and pull of records (see `sync.protocol` for the rules)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from sync.protocol import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    MAX_WIRE_INT,
    PullResponse,
    PushRequest,
    PushResponse,
)
from sync.server import epoch
from sync.server.db import Database
from sync.server.deps import CallerDep, DatabaseDep, ReadSessionDep, SettingsDep
from sync.server.errors import ApiError, error_responses
from sync.server.pull import Restored
from sync.server.pull import pull as pull_changes
from sync.server.push import apply_push

router = APIRouter(tags=["sync"])


@router.post("/sync/push", responses=error_responses(401, 403, 409, 413))
async def push(
    body: PushRequest, caller: CallerDep, db: DatabaseDep, settings: SettingsDep
) -> PushResponse:
    try:
        return await run_in_threadpool(apply_push, db, settings, caller, body)
    except ApiError as exc:
        if exc.error == "mutation_gap":
            # A device never skips ids: HQ lost mutations it had acknowledged (restored from a
            # backup). A new epoch for the tenant makes its devices re-push and re-pull.
            await run_in_threadpool(_new_epoch_after_gap, db, caller.tenant_id)
        raise


def _new_epoch_after_gap(db: Database, tenant_id: str) -> None:
    with db.reading() as session:
        seen = epoch.current(session, tenant_id)
    epoch.rotate(db, tenant_id, seen)


@router.get("/sync/pull", responses=error_responses(401, 410))
def pull(
    caller: CallerDep,
    session: ReadSessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    cursor: Annotated[int, Query(ge=0, le=MAX_WIRE_INT)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    snapshot: Annotated[int, Query(ge=0, le=MAX_WIRE_INT)] = 0,
    epoch_seen: Annotated[str, Query(alias="epoch", max_length=64)] = "",
    acked: Annotated[int | None, Query(ge=0, le=MAX_WIRE_INT)] = None,
    echoes: Annotated[Literal["full", "lean"], Query()] = "full",
) -> PullResponse:
    if limit > settings.max_pull_limit:
        raise ApiError(422, "limit_too_large", f"at most {settings.max_pull_limit}")
    try:
        return pull_changes(
            session,
            caller,
            cursor,
            limit,
            settings.max_pull_bytes,
            snapshot=snapshot,
            seen_epoch=epoch_seen,
            acked=acked,
            lean_echoes=echoes == "lean",
        )
    except Restored as restored:
        if restored.proof:
            epoch.rotate(db, caller.tenant_id, restored.seen_epoch)
        raise ApiError(
            410,
            "hq_restored",
            "HQ was restored from an older backup: re-push after `expected` - 1, pull from 0",
            expected=restored.last_mutation_id + 1,
        ) from None
