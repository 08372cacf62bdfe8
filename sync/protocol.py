"""Wire protocol shared by FairDesk devices and the `fairdesk-hq` server (protocol version 1).

Both ends import this module; it imports neither end. Everything is JSON over HTTPS under `/v1`.

Recognising the server
    Every response the server sends (success or error) carries the header
    ``X-FairDesk-Server: fairdesk-hq/1`` and a JSON body (except HEAD and blob downloads). A 200
    without that header, or with an HTML body, comes from something else (a captive portal at
    the fair venue) and must be treated as "offline". ``GET /v1/health`` needs no token and answers
    ``{"name": "fairdesk-hq", "version": ..., "protocol": 1}``. Use :func:`is_server_response`.

Numbers and the schema
    Every integer a request carries (ids, versions, cursors, lengths, offsets) is at most
    :data:`MAX_WIRE_INT` (2**53 - 1, exact in every JSON implementation). ``/openapi.json``
    publishes the contract, including the server's configured limits.

Enrolment and tokens
    ``POST /v1/devices/enroll`` with a one-time code printed by ``fairdesk-hq enroll-code`` returns
    the device id, a long-lived *refresh* token (keep it in the OS keychain) and a short-lived
    *access* token. ``POST /v1/auth/token`` trades the refresh token for a new access token. Every
    other call sends ``Authorization: Bearer <access token>``. A 401 means: refresh and retry
    (cursor untouched); a 401 on refresh means the device was revoked and must re-enrol.
    Refresh tokens rotate: the ``/v1/auth/token`` answer carries a new ``refresh_token``, which
    the device stores durably *before* using the access token; the old one is then spent. If the
    answer was lost, the old token still works once more as long as its successor was never used;
    presenting a spent token whose successor *was* used (a copied token) revokes every token of
    the device, which must re-enrol. A server that predates rotation omits ``refresh_token``.

Push (``POST /v1/sync/push``)
    The device numbers its mutations 1, 2, 3, ... and sends up to 500 in order. The server skips
    ids at or below the device's ``last_mutation_id`` (``duplicate``), answers ``409`` with
    :class:`GapError` (``expected``) when the first new id is not ``last_mutation_id + 1``, and
    otherwise applies the batch in one transaction, answering one :class:`MutationResult` per
    mutation: ``applied``, ``duplicate``, ``conflict`` (a conflict record was written, the server
    value kept and returned) or ``rejected`` (permanent: show it to the user and move on).
    Mutable entities (:data:`MUTABLE_ENTITIES`) carry ``base_version`` (the version the edit was
    made against); conflicts are detected field by field and never resolved by clock. An edit to
    a deleted row, or a delete of a row changed since ``base_version``, is a conflict.
    Append-only entities (:data:`APPEND_ONLY_ENTITIES`) are inserts keyed by the client UUID.
    Some append-only kinds have *annotation* fields (:data:`ANNOTATION_FIELDS`): the inserted
    row (an evidence item's bytes, hash and capture metadata) never changes, but an ``update``
    touching only its annotation fields (caption, what it shows, hidden with a reason, ...) is
    versioned and conflict-checked field by field exactly like a mutable row (``base_version``
    required; a delete is still rejected). Added in protocol 1 without a version bump: an older
    server rejects such updates, it never misapplies them.
    Case-scoped entities must carry ``case_id`` in ``changes`` (for ``case`` itself the server
    uses the case's own id). Device-scoped kinds (:data:`DEVICE_SCOPED_ENTITIES`: custody events
    about the device itself, e.g. a travel-mode wipe) may send ``case_id: null``; the server then
    keeps them in the sending device's tenant, outside every case (a guidance centre never sees
    them). A mutation that names ``resolves_conflict_id`` marks that conflict
    resolved when it applies.
    ``changes`` must be canonical JSON (checked per mutation, ``rejected`` with a reason,
    never stored): objects and arrays nested at most :data:`MAX_CHANGES_DEPTH` levels (the
    ``changes`` object is level 1), finite numbers only (no ``NaN``, ``Infinity`` or ``1e999``),
    text and field names in valid Unicode without NUL (no lone surrogates), at most 64 KiB
    encoded (server setting). A ``mutation_id`` the server already has is a ``duplicate`` when
    the mutation is the same as the one stored (``client_time`` aside); the same id with other
    content is answered ``422`` (error ``mutation_id_reused``, ``expected`` = the next id the
    server wants), as the IETF Idempotency-Key draft asks: the device's outbox and HQ disagree
    about that id (a device restored from an old backup, or a bug), and nothing of the batch is
    applied.

Pull (``GET /v1/sync/pull?cursor=&limit=``)
    Returns :class:`PullResponse`: changes with ``server_seq > cursor`` in commit order, each a full
    snapshot of the row (``fields``) or a tombstone (``deleted``). A page holds at most ``limit``
    rows and stops adding rows once it passes the server's byte budget (always at least one row);
    ``has_more`` then says to continue from ``next_cursor``. Conflict records arrive as
    entity ``sync_conflict``. Store ``next_cursor`` in the same transaction that applies the rows.
    ``410`` with error ``resync_required`` means the cursor is older than the server keeps (or
    newer than the server knows, after a restore): pull again from cursor 0, outbox untouched.
    Cursors and ``server_seq`` numbers belong to the caller's tenant's own stream (a guidance
    centre's: the copies of its escalated cases' rows), so they say nothing about other tenants.

Blobs (content addressed, SHA-256, tus-like resumable upload, verified at the end)
    ``HEAD /v1/blobs/sha256:<hex>`` 200 means the server already holds it: skip.
    ``POST /v1/uploads`` with headers ``Idempotency-Key: sha256:<hex>`` and ``Upload-Length``
    returns :class:`UploadStatus` (the same upload again on retry, so the device resumes).
    ``HEAD /v1/uploads/{id}`` gives ``Upload-Offset``. ``PATCH /v1/uploads/{id}`` with
    ``Upload-Offset`` and ``Upload-Checksum: sha256 <base64>`` (:func:`chunk_checksum`) and at
    most :data:`MAX_CHUNK_BYTES` of body: 204 with the new ``Upload-Offset``, 409 on an offset
    mismatch, 460 on a bad checksum (422 on a malformed header).
    ``POST /v1/uploads/{id}/complete?digest=sha256:<hex>`` makes the server re-hash everything
    it stored: 201 and the blob exists, or 422 and the bytes are
    discarded; that upload is then over for good (PATCH answers 409 ``upload_failed``, HEAD 404):
    ``POST /v1/uploads`` again gives a new upload id from offset 0. 409 ``upload_busy`` (with
    ``Retry-After``) means another request of the same upload is writing or verifying: retry.
    An unfinished upload reserves its length of the tenant's quota for a day after its last
    chunk (server setting); after that, or once the device is revoked, it answers 409
    ``upload_expired`` and the device starts a new upload the same way.
    Fewer round trips (additive, optional): the ``POST /v1/uploads`` answer already carries the
    server's offset (and ``complete`` when HQ holds the blob), so a device needs neither the blob
    HEAD nor the offset HEAD before sending. A PATCH whose chunk ends the upload may carry
    ``Upload-Complete: sha256:<hex>`` (:data:`UPLOAD_COMPLETE`): after the chunk is durable the
    server completes in the same request with exactly the ``complete`` rules, answering 201 with
    :class:`BlobInfo` (or 422, bytes discarded). When that one PATCH carried the whole file from
    offset 0, the digest the server computed while writing it *is* the whole-file digest of the
    stored bytes (the file was cut to 0 first, every byte hashed was written, then fsynced), so it
    is not read back; otherwise the stored file is re-hashed as before. A server that predates
    the header ignores it and answers 204: the device then calls ``complete``.
    One request per photo (additive, optional): a server that offers it answers every
    ``POST /v1/uploads`` with ``Upload-Single-Max: <bytes>`` (:data:`UPLOAD_SINGLE_MAX`). A
    device may then send a whole file of at most that many bytes as ``PUT
    /v1/blobs/sha256:<hex>`` with ``Upload-Length`` and the file as the body: the server creates
    (or finds again) the upload exactly as ``POST /v1/uploads`` does, writes the body from offset
    0 under the upload's lock and completes it with the ``Upload-Complete`` rules, all in that
    request. 201 :class:`BlobInfo` (recorded from this request's own hashed bytes), 200 when the
    tenant already held the blob (the body is read and dropped), 422 ``digest_mismatch`` (the
    upload is ``failed``, nothing recorded), 409 when a resumable upload of the digest already
    has bytes (``offset_mismatch``, ``upload_busy``): the device continues that one with
    ``POST``/``PATCH``. A server without the header (older, or switched off) answers the PUT
    405; the device then uses ``POST``/``PATCH`` only. ``GET /v1/health`` carries the same
    header, so a device learns it once per server before its first photo (one cheap request at
    the start of a drain) instead of sending the first photos of each process as POST + PATCH.

Reference data and alerts
    ``GET /v1/reference?since=`` and ``GET /v1/alerts?since=`` page read-only items published by
    HQ, ordered by ``seq``. A reference item of kind ``library`` carries a reference-library
    update payload in ``data`` (see ``fairdesk.knowledge.library``). An :class:`Alert` carries
    its title and text in English (``title``/``body``) and Chinese (``title_zh``/``body_zh``),
    its ``level`` (red/yellow/blue, the same scale as ``severity``), the ``countries``,
    ``fairs`` and ``goods`` categories it concerns and its validity; these fields were added in
    protocol 1 without a version bump (an older device ignores them).

Alert acknowledgements
    A device pushes the user's acknowledgement as entity :data:`ALERT_ACK_ENTITY`, op
    ``insert``, ``entity_id`` = the alert id, ``changes`` = ``{"alert_id", "acknowledged_at",
    "user", "device_id"}`` and no ``case_id``. HQ keeps one per device and alert (append-only,
    in the sending device's tenant); an unknown alert, or one published for another tenant, is
    ``rejected`` with a reason. Acknowledgements are not published in the change log.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

PROTOCOL_VERSION = 1
SERVER_NAME = "fairdesk-hq"
API_PREFIX = "/v1"
SERVER_HEADER = "X-FairDesk-Server"
SERVER_HEADER_VALUE = f"{SERVER_NAME}/{PROTOCOL_VERSION}"

MAX_MUTATIONS_PER_PUSH = 500
# Largest integer in any request field (ids, versions, cursors, lengths, offsets): 2**53 - 1,
# the largest that every JSON implementation carries exactly (RFC 8259 section 6, I-JSON). The
# former 2**62 was exact in Python's JSON but a double (JavaScript, schema tools) reads it as
# 4611686018427388000, so tools sent 2**62 + 95 as "valid" and got 422.
MAX_WIRE_INT = 2**53 - 1
MAX_PULL_LIMIT = 1000
DEFAULT_PULL_LIMIT = 500
# Deepest nesting of objects/arrays accepted in `changes` (level 1 = `changes` itself); far below
# the 255 levels the server's JSON serialiser handles, and far above what FairDesk ever writes.
MAX_CHANGES_DEPTH = 32
MAX_CHUNK_BYTES = 8 * 1024 * 1024
CHUNK_CHECKSUM_STATUS = 460

# Header names used by the upload endpoints.
IDEMPOTENCY_KEY = "Idempotency-Key"
UPLOAD_LENGTH = "Upload-Length"
UPLOAD_OFFSET = "Upload-Offset"
UPLOAD_CHECKSUM = "Upload-Checksum"
UPLOAD_COMPLETE = "Upload-Complete"
UPLOAD_SINGLE_MAX = "Upload-Single-Max"

MUTABLE_ENTITIES = frozenset({"fair", "case", "party", "ip_right", "deadline"})
APPEND_ONLY_ENTITIES = frozenset(
    {"note", "timeline_event", "evidence_item", "custody_event", "document"}
)
ENTITIES = MUTABLE_ENTITIES | APPEND_ONLY_ENTITIES
# Fields of an append-only row that may change later (versioned, conflict-checked per field).
ANNOTATION_FIELDS: dict[str, frozenset[str]] = {
    "evidence_item": frozenset(
        {
            "caption",
            "shows",
            "supports",
            "hall",
            "booth",
            "notary_present",
            "witness_present",
            "tags",
            "hidden_at",
            "hidden_reason",
            "purged_at",
        }
    )
}
# Kinds that may be about the device rather than a case (case_id null → tenant, no case).
DEVICE_SCOPED_ENTITIES = frozenset({"custody_event"})
# Every entity except `fair` belongs to a case; `case` rows are their own case.
TENANT_SCOPED_ENTITIES = frozenset({"fair"})
CONFLICT_ENTITY = "sync_conflict"
# A user's acknowledgement of an HQ risk alert (handled apart from ENTITIES: no case, no log).
ALERT_ACK_ENTITY = "alert_ack"
ALERT_LEVELS = {"critical": "red", "warning": "yellow", "info": "blue"}

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"

Role = Literal["responder", "legal", "admin", "guidance"]
TenantKind = Literal["company", "guidance"]
MutationOp = Literal["insert", "update", "delete"]
MutationStatus = Literal["applied", "duplicate", "conflict", "rejected"]


def _storable_text(value: str) -> str:
    """Text every database and every JSON answer can hold: no NUL, no lone surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


# The NUL half of that rule as a JSON Schema pattern, so the published schema says what is
# refused (only published: `_storable_text` checks). Lone surrogates need no pattern: they are
# not Unicode text, which JSON strings must be (RFC 7493, I-JSON), and a surrogate range is a
# pattern that Rust-based validators (jsonschema-rs, used by Schemathesis) cannot compile.
STORABLE_TEXT_PATTERN = r"^[^\u0000]*$"

# A request string the server stores or looks up (names, ids, tokens): refused with 422 otherwise.
Text = Annotated[
    str,
    AfterValidator(_storable_text),
    Field(json_schema_extra={"pattern": STORABLE_TEXT_PATTERN}),
]


class _Wire(BaseModel):
    # Unknown keys are ignored so that an older peer still understands a newer one.
    model_config = ConfigDict(extra="ignore")


class HealthResponse(_Wire):
    name: str = SERVER_NAME
    version: str
    protocol: int = PROTOCOL_VERSION


class ErrorBody(_Wire):
    """Every error the server itself produces (except request validation, see FastAPI's 422)."""

    error: str
    detail: str | None = None
    expected: int | None = None


class EnrollRequest(_Wire):
    enroll_code: Text = Field(min_length=1, max_length=64)
    device_name: Text = Field(default="", max_length=200)


class EnrollResponse(_Wire):
    device_id: str
    tenant_id: str
    tenant_name: str
    tenant_kind: TenantKind
    role: Role
    refresh_token: str
    access_token: str
    access_expires_at: str


class TokenRequest(_Wire):
    device_id: Text = Field(max_length=64)
    refresh_token: Text = Field(max_length=200)


class TokenResponse(_Wire):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: str
    expires_in: int
    # The rotated refresh token (store it before using the access token); None from older servers.
    refresh_token: str | None = None


def _at_most(limit: int) -> Any:
    """`max_length` checked in Python: pydantic's own check refuses a lone surrogate first."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": limit},
            )
        return value

    return AfterValidator(check)


# A mutation's strings: their text (NUL, lone surrogates) is checked by the server per mutation,
# so that one bad mutation is rejected on its own instead of blocking the queue with a 422.
MutationText = Annotated[str, _at_most(64), Field(json_schema_extra={"maxLength": 64})]


class Mutation(_Wire):
    mutation_id: int = Field(ge=1, le=MAX_WIRE_INT)
    # entity and entity_id are checked by the server per mutation, so that one bad mutation is
    # rejected on its own instead of blocking the whole queue with a 422.
    entity: MutationText
    entity_id: MutationText
    op: MutationOp
    base_version: int | None = Field(default=None, ge=0, le=MAX_WIRE_INT)
    changes: dict[str, Any] = Field(default_factory=dict)
    blob_refs: list[str] = Field(default_factory=list, max_length=100)
    client_time: MutationText = ""
    resolves_conflict_id: MutationText | None = None


class PushRequest(_Wire):
    device_id: Text = Field(max_length=64)
    mutations: list[Mutation] = Field(max_length=MAX_MUTATIONS_PER_PUSH)


class MutationResult(_Wire):
    mutation_id: int
    status: MutationStatus
    version: int | None = None
    server_seq: int | None = None
    conflict_id: str | None = None
    # For a conflict: the server's current value of each conflicting field (or {"deleted": true}).
    server_value: dict[str, Any] | None = None
    reason: str | None = None


class PushResponse(_Wire):
    results: list[MutationResult]
    last_mutation_id: int


class GapError(ErrorBody):
    """409 body when a push skips mutation ids: resend from `expected`."""


class Change(_Wire):
    server_seq: int
    entity: str
    entity_id: str
    case_id: str | None
    version: int
    fields: dict[str, Any]
    deleted: bool
    device_id: str | None
    mutation_id: int | None
    # True: the asking device's own change, sent without its fields because the device asked
    # for ``echoes=lean`` and holds them already (it takes only HQ's version). A device that
    # does not hold it as sent asks for the page again with ``echoes=full``.
    echo: bool = False


class PullResponse(_Wire):
    changes: list[Change]
    next_cursor: int
    has_more: bool
    last_mutation_id: int
    # Set while the pages walk through the part of the log HQ pruned (newest row of each record
    # only): the device sends it back as ``snapshot=`` until its cursor has passed it, so the
    # walk is not mistaken for a cursor older than the prune (which gets 410).
    snapshot_until: int = 0
    # HQ's epoch id: a new one after HQ found it was restored from an older backup; a device
    # that sends another one (``epoch=``) gets 410 ``hq_restored`` and re-pushes and re-pulls.
    epoch: str = ""


class UploadStatus(_Wire):
    upload_id: str
    offset: int
    length: int
    complete: bool


class BlobInfo(_Wire):
    digest: str
    size: int


class EscalateRequest(_Wire):
    guidance_centre: Text = Field(min_length=1, max_length=200)


class EscalationInfo(_Wire):
    case_id: str
    guidance_centre: str
    # The escalating company's own stream position at escalation (never the centre's).
    server_seq: int


class CaseView(_Wire):
    """A case with every record that belongs to it, as HQ legal staff see it."""

    case_id: str
    records: list[Change]
    open_conflicts: list[Change]
    # Paged like pull (added in protocol 1): `records` after `cursor`, at most `limit` rows and
    # a byte budget; open conflicts on the first page only.
    next_cursor: int = 0
    has_more: bool = False


class DeviceInfo(_Wire):
    device_id: str
    name: str
    role: Role
    created_at: str
    last_seen_at: str | None
    revoked: bool
    last_mutation_id: int


class ReferenceItem(_Wire):
    seq: int
    kind: str
    key: str
    data: dict[str, Any]
    deleted: bool
    published_at: str


class ReferencePage(_Wire):
    items: list[ReferenceItem]
    next_cursor: int
    has_more: bool


class Alert(_Wire):
    seq: int
    alert_id: str
    severity: Literal["info", "warning", "critical"]
    title: str
    body: str
    fair: str | None
    published_at: str
    level: Literal["red", "yellow", "blue"] | None = None
    title_zh: str = ""
    body_zh: str = ""
    countries: list[str] = Field(default_factory=list)
    fairs: list[str] = Field(default_factory=list)
    goods: list[str] = Field(default_factory=list)
    valid_from: str | None = None
    valid_until: str | None = None


class AlertPage(_Wire):
    items: list[Alert]
    next_cursor: int
    has_more: bool


class AlertAckInfo(_Wire):
    """One acknowledgement as HQ lists it (`fairdesk-hq alert acks --json`)."""

    alert_id: str
    alert_title: str
    tenant_id: str
    device_id: str
    device_name: str
    user: str
    acknowledged_at: str
    received_at: str


def digest_of(data: bytes) -> str:
    """The `sha256:<hex>` name of some bytes, as used in blob URLs and Idempotency-Key."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def chunk_checksum(chunk: bytes, sha256_hex: str | None = None) -> str:
    """The `Upload-Checksum` header value for one PATCH body (tus checksum format).

    ``sha256_hex`` may give the digest when the caller already knows it (a whole-file chunk).
    """
    digest = bytes.fromhex(sha256_hex) if sha256_hex else hashlib.sha256(chunk).digest()
    return "sha256 " + base64.b64encode(digest).decode("ascii")


def is_server_response(headers: Mapping[str, str]) -> bool:
    """True only for answers from a fairdesk-hq server (not a captive portal or proxy page)."""
    value = next((v for k, v in headers.items() if k.lower() == SERVER_HEADER.lower()), "")
    return value.startswith(SERVER_NAME + "/")
