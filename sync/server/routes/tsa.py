"""`POST /v1/tsa`: HQ as an RFC 3161 time-stamping authority; `GET /v1/tsa/certificates`.

Devices authenticate as for every other route. The request body is a DER TimeStampReq
(`application/timestamp-query`); the answer is a DER TimeStampResp
(`application/timestamp-reply`), a rejection inside RFC 3161 for a malformed request.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sync.server import tsa
from sync.server.deps import CallerDep, DatabaseDep
from sync.server.errors import ApiError, error_responses

router = APIRouter(tags=["tsa"])


def _authority(request: Request) -> tsa.Authority:
    authority: tsa.Authority = request.app.state.tsa
    return authority


@router.post(
    "/tsa",
    responses={
        **error_responses(401, 415),
        200: {"content": {tsa.REPLY_TYPE: {}}, "description": "DER TimeStampResp"},
    },
    response_class=Response,
    # Read raw below, so FastAPI cannot see it; without this the schema said "no body" and a
    # schema-driven client got 415 for a request the schema called valid.
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "DER TimeStampReq (RFC 3161)",
            "content": {tsa.QUERY_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def timestamp(request: Request, caller: CallerDep, db: DatabaseDep) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != tsa.QUERY_TYPE:
        raise ApiError(415, "unsupported_media_type", f"send {tsa.QUERY_TYPE}")
    body = await request.body()
    with db.writing() as session:
        reply = tsa.answer(
            session,
            _authority(request),
            body,
            tenant_id=caller.tenant_id,
            device_id=caller.device_id,
        )
    return Response(reply, media_type=tsa.REPLY_TYPE)


@router.get(
    "/tsa/certificates",
    responses={**error_responses(401), 200: {"content": {"application/x-pem-file": {}}}},
    response_class=Response,
)
def certificates(request: Request, caller: CallerDep) -> Response:
    """The signing certificate and its issuers (PEM); the last one is the root to pin."""
    return Response(_authority(request).chain_pem(), media_type="application/x-pem-file")
