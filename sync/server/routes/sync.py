"""Push and pull of records (see `sync.protocol` for the rules)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from sync.protocol import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    PullResponse,
    PushRequest,
    PushResponse,
)
from sync.server.deps import CallerDep, DatabaseDep, ReadSessionDep, SettingsDep
from sync.server.errors import ApiError, error_responses
from sync.server.pull import pull as pull_changes
from sync.server.push import apply_push

router = APIRouter(tags=["sync"])


@router.post("/sync/push", responses=error_responses(401, 403, 409, 413))
async def push(
    body: PushRequest, caller: CallerDep, db: DatabaseDep, settings: SettingsDep
) -> PushResponse:
    return await run_in_threadpool(apply_push, db, settings, caller, body)


@router.get("/sync/pull", responses=error_responses(401, 410))
def pull(
    caller: CallerDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
) -> PullResponse:
    if limit > settings.max_pull_limit:
        raise ApiError(422, "limit_too_large", f"at most {settings.max_pull_limit}")
    return pull_changes(session, caller, cursor, limit, settings.max_pull_bytes)
