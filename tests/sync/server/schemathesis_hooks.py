"""Schemathesis hooks for the fuzz run of `test_schemathesis.py` (loaded by `st` itself).

The two binary request bodies of the API (a PATCH chunk, an RFC 3161 query) are sent as raw
bytes, like `application/octet-stream`; without the alias Schemathesis cannot serialise them
and skips those operations' positive cases. Two checks of our own: `documented_rejection` (a
relaxed status must carry its documented reason) and `allow_on_every_405`.
"""

from __future__ import annotations

from typing import Any

import schemathesis

schemathesis.serializer.alias(
    ["application/offset+octet-stream", "application/timestamp-query"],
    "application/octet-stream",
)

# Answers to schema-valid requests that depend on what HQ holds (README, "Known schemathesis
# findings"); schemathesis.toml lets these statuses through `positive_data_acceptance` for the
# operation, and this check then insists on the documented reason.
DOCUMENTED_REJECTIONS: dict[str, dict[int, frozenset[str]]] = {
    "GET /v1/sync/pull": {410: frozenset({"hq_restored", "resync_required"})},
    "PATCH /v1/uploads/{upload_id}": {
        413: frozenset({"beyond_length"}),
        422: frozenset({"digest_mismatch"}),
        460: frozenset({"chunk_checksum_mismatch"}),
    },
    "POST /v1/uploads": {
        413: frozenset({"quota_exceeded"}),
        422: frozenset({"idempotency_key_reused"}),
    },
    "POST /v1/uploads/{upload_id}/complete": {422: frozenset({"digest_mismatch"})},
    "PUT /v1/blobs/{digest}": {
        413: frozenset({"beyond_length", "quota_exceeded"}),
        422: frozenset({"digest_mismatch", "idempotency_key_reused"}),
    },
    "POST /v1/sync/push": {422: frozenset({"mutation_id_reused"})},
}


@schemathesis.check
def documented_rejection(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """A schema-valid request refused with a relaxed status must carry a documented reason."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    allowed = DOCUMENTED_REJECTIONS.get(case.operation.label, {}).get(response.status_code)
    if allowed is None:
        return None
    try:
        error = response.json().get("error")
    except ValueError:
        error = None
    if error not in allowed:
        raise AssertionError(
            f"{response.status_code} for schema-valid data with error {error!r}; "
            f"documented: {sorted(allowed)}"
        )
    return True


@schemathesis.check
def allow_on_every_405(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """Every 405 names exactly the published methods of its address in `Allow` (RFC 9110).

    The built-in `allow_header_conformance` looks at OPTIONS only and passes an empty `Allow`.
    """
    if response.status_code != 405:
        return None
    allow = ", ".join(response.headers.get("allow", []))
    advertised = {method.strip().upper() for method in allow.split(",") if method.strip()}
    declared = {
        method.upper()
        for method in case.operation.schema[case.operation.path]
        if method.lower() in {"get", "head", "post", "put", "patch", "delete", "options", "trace"}
    }
    if advertised != declared:
        raise AssertionError(f"405 with `Allow: {allow}`; the schema lists {sorted(declared)}")
    return True
