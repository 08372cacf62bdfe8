"""Errors the server answers with: one JSON shape (`protocol.ErrorBody`) for all of them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync.protocol import ErrorBody


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
        body = ErrorBody(error=exc.error, detail=exc.message, expected=exc.expected)
    else:
        body = ErrorBody(error=_STATUS_NAMES.get(exc.status_code, "error"), detail=str(exc.detail))
    return error_response(exc.status_code, body, dict(exc.headers or {}))


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry documenting ErrorBody for the given status codes."""
    return {code: {"model": ErrorBody} for code in codes}
