"""Errors the server answers with: one JSON shape (`protocol.ErrorBody`) for all of them."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync.protocol import SERVER_HEADER, SERVER_HEADER_VALUE, ErrorBody
from sync.server.openapi import methods_by_path

log = logging.getLogger(__name__)


class ApiError(StarletteHTTPException):
    """Raise from a handler or dependency; rendered as `ErrorBody` with `status_code`."""

    def __init__(
        self,
        status_code: int,
        error: str,
        detail: str | None = None,
        *,
        expected: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=detail or error, headers=headers)
        self.error = error
        self.expected = expected
        self.message = detail


def not_found(what: str = "not found") -> ApiError:
    # Same answer whether the object does not exist or belongs to another tenant (no oracle).
    return ApiError(404, "not_found", what)


def unauthorized(detail: str = "invalid or expired token") -> ApiError:
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str) -> ApiError:
    return ApiError(403, "forbidden", detail)


_STATUS_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    411: "length_required",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
}


def error_response(
    status: int, body: ErrorBody, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        detail = safe_text(exc.message, 500) if exc.message is not None else None
        body = ErrorBody(error=exc.error, detail=detail, expected=exc.expected)
    else:
        body = ErrorBody(
            error=_STATUS_NAMES.get(exc.status_code, "error"), detail=safe_text(str(exc.detail))
        )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = published_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return error_response(exc.status_code, body, headers)


def published_methods(request: Request) -> list[str]:
    """The methods `/openapi.json` lists for this address (RFC 9110: `Allow` on a 405).

    Starlette named only the first route whose path matched, so `/v1/blobs/{digest}` (a HEAD
    route and a GET route) answered `Allow: HEAD` and a client never learnt that GET exists.
    Taken from the published schema, `Allow` and the schema cannot disagree. Empty for an
    address the schema does not list (the console): Starlette's own header stays.
    """
    table = getattr(request.app.state, "methods_by_path", None)
    if table is None:
        table = request.app.state.methods_by_path = methods_by_path(request.app.openapi())
    path = request.scope["path"]
    return next((methods for pattern, methods in table if pattern.fullmatch(path)), [])


def safe_text(value: str, limit: int = 200) -> str:
    """`value` shortened, with NUL and lone surrogates escaped: an answer must always encode."""
    value = value[:limit].replace("\x00", "\\x00")
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 shape (`{"detail": [{"loc", "msg", "type"}]}`) without echoing the input.

    The default handler repeats the offending value; a lone surrogate in it made the answer
    itself unencodable (a 500 instead of the 422).
    """
    assert isinstance(exc, RequestValidationError)
    detail = [
        {
            "loc": [
                part if isinstance(part, int) else safe_text(str(part), 100)
                for part in error.get("loc", ())
            ],
            "msg": safe_text(str(error.get("msg", "invalid value"))),
            "type": safe_text(str(error.get("type", "value_error")), 64),
        }
        for error in exc.errors()[:20]
    ]
    return JSONResponse(jsonable_encoder({"detail": detail}), status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Any unhandled error: still the server's own JSON answer with the marker header.

    Without the marker a device takes the 500 for a captive portal's page. Starlette's
    ServerErrorMiddleware sends this outside our own middleware, so the header is set here.
    """
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        {"error": "internal_error", "detail": "HQ could not handle this request; try again"},
        status_code=500,
        headers={
            SERVER_HEADER: SERVER_HEADER_VALUE,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # uvicorn closes the connection after an unhandled error: say so, or a client
            # reusing it gets a reset on its next request.
            "Connection": "close",
        },
    )


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry documenting ErrorBody for the given status codes.

    422 is documented for every route by `sync.server.openapi` (two possible shapes)."""
    return {code: {"model": ErrorBody} for code in codes}
