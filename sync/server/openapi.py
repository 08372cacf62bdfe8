"""The published `/openapi.json`, shaped to say exactly what the server accepts and answers.

FastAPI derives the document from the route declarations. A few answers come from outside them
(the NUL refusal in `middleware`, Starlette's 400 for an undecodable body, handlers that raise
`ApiError(422)` beside FastAPI's own validation 422), HTTP parameters cannot be JSON `null`, and
some limits are settings rather than constants. `install` adds those here, once per app, so
schema-driven clients and fuzzers (tests/sync/server/test_schemathesis.py) see the real contract.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from sync.protocol import UPLOAD_LENGTH, ErrorBody
from sync.server.config import Settings

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}
_METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")


def install(app: FastAPI, settings: Settings) -> None:
    """Replace `app.openapi` with one that builds FastAPI's document and then shapes it."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            shape(FastAPI.openapi(app), settings)  # FastAPI caches it in app.openapi_schema
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def shape(schema: dict[str, Any], settings: Settings) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorBody", ErrorBody.model_json_schema())
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            _non_null_parameters(operation)
            _document_422(operation, responses, has_validation="HTTPValidationError" in components)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                # Starlette answers 400 itself when the body is not UTF-8 (FastAPI's JSON
                # decoding never sees it); the handler's ErrorBody shape applies.
                responses.setdefault(
                    "400",
                    {
                        "description": "the body could not be read (not UTF-8 text)",
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
            _settings_limits(path, method, operation, settings)


def _non_null_parameters(operation: dict[str, Any]) -> None:
    """`X | None = None` parameters are optional, not nullable: HTTP has no null, only absence.

    FastAPI publishes them as `anyOf: [X, null]`, so a client (Schemathesis did) sends the
    text `null` as a "valid" value — and gets 422 for it.
    """
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        variants = schema.get("anyOf")
        if not variants:
            continue
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == len(variants):
            continue
        del schema["anyOf"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept


def _document_422(
    operation: dict[str, Any], responses: dict[str, Any], *, has_validation: bool
) -> None:
    """Every route may answer 422: `ErrorBody` from the address check in `middleware` (NUL)
    or from a handler, and FastAPI's validation shape wherever it validates parameters or a
    body. One response per status code, so both shapes are published as alternatives."""
    validates = bool(operation.get("parameters") or operation.get("requestBody"))
    shapes = [_ERROR_REF, _VALIDATION_REF] if validates and has_validation else [_ERROR_REF]
    schema = {"anyOf": shapes} if len(shapes) > 1 else shapes[0]
    responses["422"] = {
        "description": "the request is invalid: `ErrorBody` (`error` names the reason, e.g. "
        "`invalid_text` for a NUL in the address) or the field-by-field validation `detail`",
        "content": {"application/json": {"schema": schema}},
    }


def _settings_limits(path: str, method: str, operation: dict[str, Any], settings: Settings) -> None:
    """Limits that are settings, not protocol constants, published as this server has them."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        name = str(parameter.get("name", "")).lower()
        if method == "post" and path.endswith("/uploads") and name == UPLOAD_LENGTH.lower():
            # `maximum` is not the only bound: the tenant's free quota is checked too (413).
            schema["maximum"] = settings.max_upload_bytes
        elif method == "put" and "/blobs/" in path and name == UPLOAD_LENGTH.lower():
            schema["maximum"] = settings.max_chunk_bytes  # a whole file in one request
        elif path.endswith("/sync/pull") and name == "limit":
            schema["maximum"] = settings.max_pull_limit


def methods_by_path(schema: dict[str, Any]) -> list[tuple[re.Pattern[str], list[str]]]:
    """Each published path as a pattern (`{name}` is one path segment, as Starlette's default
    `str` parameters are) with the methods listed for it, upper case and sorted."""
    table = []
    for path, item in schema.get("paths", {}).items():
        segments = [
            "[^/]+" if part.startswith("{") and part.endswith("}") else re.escape(part)
            for part in path.split("/")
        ]
        methods = sorted(method.upper() for method in item if method in _METHODS)
        table.append((re.compile("/".join(segments)), methods))
    return table
