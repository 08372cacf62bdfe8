"""`GET /v1/health`: unauthenticated liveness and identity (so devices can spot captive portals).

It also asks the database a trivial question, so a load balancer or monitor sees a server that
cannot reach its database as unhealthy (503, still the server's own JSON answer). When the server
takes whole files as one `PUT /v1/blobs/{digest}`, the answer says so (`Upload-Single-Max`, as on
`POST /v1/uploads`): a device asks once at the start of a drain and sends even its first photos
that way.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from sync.protocol import UPLOAD_SINGLE_MAX, HealthResponse
from sync.server import __version__
from sync.server.db import Database
from sync.server.deps import DatabaseDep, SettingsDep
from sync.server.errors import ApiError, error_responses

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


def _database_answers(db: Database) -> bool:
    try:
        with db.reading() as session:
            return session.execute(text("SELECT 1")).scalar_one() == 1
    except SQLAlchemyError as exc:
        log.error("health check: the database does not answer: %s", exc)
        return False


@router.get(
    "/health",
    responses={
        200: {
            "headers": {
                UPLOAD_SINGLE_MAX: {
                    "description": "largest file taken as one PUT /v1/blobs/{digest} (absent: "
                    "not offered)",
                    "schema": {"type": "integer"},
                }
            }
        },
        **error_responses(503),
    },
)
async def health(db: DatabaseDep, settings: SettingsDep, response: Response) -> HealthResponse:
    if not await run_in_threadpool(_database_answers, db):
        raise ApiError(503, "database_unavailable", "HQ cannot reach its database")
    if settings.single_request_uploads:
        response.headers[UPLOAD_SINGLE_MAX] = str(settings.max_chunk_bytes)
    return HealthResponse(version=__version__)
