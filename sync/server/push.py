"""Applying a device's push: idempotent, gap-checked, one transaction, conflicts field by field.

Nothing here picks a winner by clock. A field the server changed after the client's
`base_version` and that the client changes to a different value is kept as the server has it and
recorded as a `Conflict` (also published in the change log as entity `sync_conflict`, so every
node sees it). A mutation that cannot ever apply is `rejected` with a reason; the device shows it
and its queue moves on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from sync.protocol import (
    ALERT_ACK_ENTITY,
    ANNOTATION_FIELDS,
    APPEND_ONLY_ENTITIES,
    CONFLICT_ENTITY,
    DEVICE_SCOPED_ENTITIES,
    ENTITIES,
    SHA256_HEX,
    TENANT_SCOPED_ENTITIES,
    Mutation,
    MutationResult,
    PushRequest,
    PushResponse,
)
from sync.server import alerts, payload
from sync.server.config import Settings
from sync.server.db import Database, advance_streams, lock_streams
from sync.server.deps import Caller
from sync.server.errors import ApiError, forbidden
from sync.server.models import (
    Base,
    BlobLink,
    ChangeLog,
    Conflict,
    Device,
    Escalation,
    MutationLog,
    Record,
    TenantBlob,
    utcnow,
)

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED_FIELDS = frozenset({"id", "version", "deleted", "tenant_id", "entity", "entity_id"})
# What a guidance centre may add to a case escalated to it.
GUIDANCE_WRITABLE = frozenset({"note", "timeline_event"})


class Rejected(Exception):
    """A permanent per-mutation failure; the message is shown to the user."""


class _MoreStreams(Exception):
    """The push must also write to `stream`, which it has not locked: start again with it."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.stream = stream


# A push retries with more streams locked only when an escalation raced its first look.
_LOCK_ATTEMPTS = 4


def canonical_uuid(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = str(uuid.UUID(value))
    except ValueError:
        return None
    return parsed if parsed == value else None


@dataclass(slots=True)
class NewRecord:
    """A record a push creates, until the push inserts it (`_Applier.write_records`).

    A plain object: the ORM's instrumented constructor, the unit of work and its autoflush cost
    about half of HQ's time for a push of 500 notes. Same attributes as `Record`.
    """

    tenant_id: str
    entity: str
    entity_id: str
    case_id: str | None
    version: int
    fields: dict[str, Any]
    field_versions: dict[str, Any]
    deleted: bool
    updated_seq: int

    def row(self) -> dict[str, Any]:
        """Its columns, as values for `Record` (not copied: nothing else holds them)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _table(model: type[Base]) -> Table:
    """The model's table, for the push's one-statement inserts: a Core INSERT of many rows skips
    the ORM's per-row bookkeeping (~a fifth of a push's inserts), which plain rows do not need."""
    table = model.__table__
    assert isinstance(table, Table)  # declarative models map to plain tables
    return table


def conflict_snapshot(conflict: Conflict) -> dict[str, Any]:
    return {
        "entity": conflict.entity,
        "entity_id": conflict.entity_id,
        "fields": conflict.fields,
        "client_op": conflict.client_op,
        "base_version": conflict.base_version,
        "server_version": conflict.server_version,
        "device_id": conflict.device_id,
        "user_id": conflict.user_id,
        "mutation_id": conflict.mutation_id,
        "created_at": conflict.created_at.isoformat(),
        "resolved": conflict.resolved_at is not None,
        "resolved_by_device": conflict.resolved_by_device,
    }


def mutation_problem(m: Mutation, max_changes_bytes: int) -> str | None:
    """Why the mutation can never be stored (canonical JSON, see `sync.server.payload`), or None.

    Checked before anything else, for every entity (alert acknowledgements included), so that
    no reason built from the mutation's own strings can carry invalid text either.
    """
    texts = {
        "entity": m.entity,
        "entity_id": m.entity_id,
        "client_time": m.client_time,
        "resolves_conflict_id": m.resolves_conflict_id or "",
    }
    for name, value in texts.items():
        problem = payload.text_problem(value)
        if problem:
            return f"{name} {problem}"
    if any(payload.text_problem(ref) for ref in m.blob_refs):
        return "blob_refs must be lowercase sha256 hex digests"
    problem = payload.json_problem(m.changes)
    if problem:
        return f"changes rejected: {problem}"
    if payload.encoded_size(m.changes) > max_changes_bytes:
        return "changes too large"
    return None


def shared_id_clashes(
    session: Session, centre_id: str, tenant_id: str, entity_ids: list[str]
) -> list[str]:
    """Those of `entity_ids` that rows of *other* tenants shared with the centre already use."""
    clashes: list[str] = []
    for start in range(0, len(entity_ids), 500):
        chunk = entity_ids[start : start + 500]
        clashes += session.scalars(
            select(Record.entity_id)
            .join(
                Escalation,
                (Escalation.tenant_id == Record.tenant_id) & (Escalation.case_id == Record.case_id),
            )
            .where(
                Escalation.guidance_tenant_id == centre_id,
                Record.tenant_id != tenant_id,
                Record.entity_id.in_(chunk),
            )
            .limit(1)
        ).all()
        if clashes:
            break
    return clashes


def content_hash(m: Mutation) -> str:
    """SHA-256 of what the mutation asks HQ to do (canonical JSON).

    Its id is the key, and `client_time` is left out: HQ does not use it, and a device that
    formats its clock differently after an update must not find its retries refused.
    """
    # The fields `model_dump` would give, without its cost (a tenth of a push): the hashes
    # stored by earlier versions must still match (`test_push.py` pins two).
    data = {
        "entity": m.entity,
        "entity_id": m.entity_id,
        "op": m.op,
        "base_version": m.base_version,
        "changes": m.changes,
        "blob_refs": m.blob_refs,
        "resolves_conflict_id": m.resolves_conflict_id,
    }
    try:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    except (RecursionError, ValueError):  # too deep to encode: it was rejected anyway
        text = "unencodable"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def streams_written(
    session: Session, caller: Caller, mutations: list[Mutation]
) -> tuple[set[str], bool]:
    """The change-log streams a push may write to, read before any lock is taken, and whether
    any case it may write can be escalated at all.

    Always the caller's own; for a company also the guidance centre of every escalated case the
    push touches, for a guidance centre the owner of every case it writes to. A superset is
    harmless (one more row locked); what was missed is found under the locks (`_MoreStreams`).
    A company with no escalated case cannot get one while it holds its own stream's lock
    (`admin.escalate` takes it), so its push then skips every per-case escalation lookup.
    """
    cases = {m.changes.get("case_id") for m in mutations}
    cases |= {m.entity_id for m in mutations if m.entity == "case"}
    case_ids = sorted(c for c in cases if isinstance(c, str) and canonical_uuid(c))
    if caller.is_guidance:
        owners = session.scalars(
            select(Escalation.tenant_id).where(
                Escalation.guidance_tenant_id == caller.tenant_id,
                Escalation.case_id.in_(case_ids),
            )
        )
        return {caller.tenant_id, *owners}, True
    if not _has_escalation(session, caller.tenant_id):
        return {caller.tenant_id}, False
    ids = sorted({m.entity_id for m in mutations if canonical_uuid(m.entity_id)})
    case_ids += session.scalars(
        select(Record.case_id).where(
            Record.tenant_id == caller.tenant_id,
            Record.entity_id.in_(ids),
            Record.case_id.is_not(None),
        )
    )
    centres = session.scalars(
        select(Escalation.guidance_tenant_id).where(
            Escalation.tenant_id == caller.tenant_id, Escalation.case_id.in_(case_ids)
        )
    )
    return {caller.tenant_id, *centres}, True


def _has_escalation(session: Session, tenant_id: str) -> bool:
    return (
        session.scalars(
            select(Escalation.case_id).where(Escalation.tenant_id == tenant_id).limit(1)
        ).first()
        is not None
    )


@dataclass
class _Applier:
    session: Session
    caller: Caller
    settings: Settings
    # Last number handed out in each locked stream (see `sync.server.db.lock_streams`).
    heads: dict[str, int]
    # False when no case of the caller's tenant is escalated (see `streams_written`).
    escalations: bool = True
    records: dict[tuple[str, str, str], Record | NewRecord | None] = field(default_factory=dict)
    escalated: dict[str, str | None] = field(default_factory=dict)
    # (owner tenant, case id) → guidance centre the case is escalated to, if any.
    centres: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # Change-log rows of this push not yet in the database: inserted in one statement by
    # `write_changes` (before any query of the log, and at the end). Added one by one to the
    # ORM's unit of work they cost ~a third of a push of 500 notes. One executemany: every row
    # must carry the same keys (`publish` builds them all the same way).
    pending: list[dict[str, Any]] = field(default_factory=list)
    # Records this push creates (also in `records`): inserted in one statement by
    # `write_records` at the end, as a later mutation of the same push may have left them.
    unsaved: dict[tuple[str, str, str], NewRecord] = field(default_factory=dict)
    # (tenant, entity, entity_id, sha256) → whether that blob link exists (preloaded, or looked
    # up once); and the caller's holdings of the blobs a push refers to.
    links: dict[tuple[str, str, str, str], bool] = field(default_factory=dict)
    held: dict[str, TenantBlob | None] = field(default_factory=dict)

    # --- helpers -------------------------------------------------------------------------
    def next_seq(self, stream: str) -> int:
        if stream not in self.heads:
            raise _MoreStreams(stream)
        self.heads[stream] += 1
        return self.heads[stream]

    def centre_of(self, tenant_id: str, case_id: str | None) -> str | None:
        """The guidance centre `case_id` of `tenant_id` is escalated to, if any."""
        if case_id is None or not self.escalations:
            return None
        key = (tenant_id, case_id)
        if key not in self.centres:
            self.centres[key] = self.session.scalars(
                select(Escalation.guidance_tenant_id).where(
                    Escalation.tenant_id == tenant_id, Escalation.case_id == case_id
                )
            ).first()
        return self.centres[key]

    def publish(self, tenant_id: str, case_id: str | None, **values: Any) -> tuple[int, int]:
        """Write a change-log row to its tenant's stream, and a copy to the stream of the
        guidance centre its case is escalated to. Returns (number in the tenant's stream,
        number in the caller's stream)."""
        seq = self.next_seq(tenant_id)
        row = {"tenant_id": tenant_id, "case_id": case_id, "created_at": utcnow()}
        self.pending.append(
            {**row, "stream_id": tenant_id, "server_seq": seq, **self._for(tenant_id, values)}
        )
        mine = seq
        centre = self.centre_of(tenant_id, case_id)
        if centre is not None:
            copy = self.next_seq(centre)
            self.pending.append(
                {**row, "stream_id": centre, "server_seq": copy, **self._for(centre, values)}
            )
            if centre == self.caller.tenant_id:
                mine = copy
        return seq, mine

    def write_changes(self) -> None:
        """Insert the pending change-log rows (see `pending`)."""
        if self.pending:
            self.session.execute(insert(_table(ChangeLog)), self.pending)
            self.pending = []

    def write_records(self) -> None:
        """Insert the records this push created (see `unsaved`), as they are now."""
        if self.unsaved:
            rows = [rec.row() for rec in self.unsaved.values()]
            self.session.execute(insert(_table(Record)), rows)
            self.unsaved = {}

    def _for(self, stream: str, values: dict[str, Any]) -> dict[str, Any]:
        """The row as `stream`'s tenant may see it: a device's mutation numbers count all its
        writes, so another tenant gets none (only the writer's own devices need them, to
        recognise their echoes)."""
        if stream == self.caller.tenant_id:
            return values
        fields = values["fields"]
        if values["entity"] == CONFLICT_ENTITY:
            fields = {**fields, "mutation_id": None}
        return {**values, "mutation_id": None, "fields": fields}

    def record(self, tenant_id: str, entity: str, entity_id: str) -> Record | NewRecord | None:
        key = (tenant_id, entity, entity_id)
        if key not in self.records:
            self.records[key] = self.session.get(Record, key)
        return self.records[key]

    def preload(self, mutations: list[Mutation]) -> None:
        # Only well-formed ids reach the query (a NUL in one would fail it on PostgreSQL); the
        # others are rejected per mutation by `validate`.
        ids = {m.entity_id for m in mutations if canonical_uuid(m.entity_id)}
        ids |= {m.changes["case_id"] for m in mutations if canonical_uuid(m.changes.get("case_id"))}
        for rec in self.session.scalars(
            select(Record).where(
                Record.tenant_id == self.caller.tenant_id, Record.entity_id.in_(ids)
            )
        ):
            self.records[(rec.tenant_id, rec.entity, rec.entity_id)] = rec
        for entity in {m.entity for m in mutations}:
            for entity_id in ids:
                self.records.setdefault((self.caller.tenant_id, entity, entity_id), None)
        for case_id in ids:
            self.records.setdefault((self.caller.tenant_id, "case", case_id), None)
        self._preload_links(mutations, ids)

    def _preload_links(self, mutations: list[Mutation], ids: set[str]) -> None:
        """The blob links and holdings the push's `blob_refs` may need, in two queries."""
        shas = {ref for m in mutations for ref in m.blob_refs if SHA256_HEX.match(ref)}
        if not shas:
            return
        tenant = self.caller.tenant_id
        for m in mutations:
            if m.entity_id in ids:
                for sha in shas.intersection(m.blob_refs):
                    self.links[(tenant, m.entity, m.entity_id, sha)] = False
        for link in self.session.execute(
            select(BlobLink.entity, BlobLink.entity_id, BlobLink.sha256).where(
                BlobLink.tenant_id == tenant,
                BlobLink.entity_id.in_(ids),
                BlobLink.sha256.in_(shas),
            )
        ):
            self.links[(tenant, *link)] = True
        self.held = dict.fromkeys(shas)
        for blob in self.session.scalars(
            select(TenantBlob).where(TenantBlob.tenant_id == tenant, TenantBlob.sha256.in_(shas))
        ):
            self.held[blob.sha256] = blob

    def log(self, rec: Record | NewRecord, mutation: Mutation) -> int:
        """Log the record's new version; returns its number in the caller's stream."""
        seq, mine = self.publish(
            rec.tenant_id,
            rec.case_id,
            entity=rec.entity,
            entity_id=rec.entity_id,
            version=rec.version,
            fields=rec.fields,
            deleted=rec.deleted,
            device_id=self.caller.device_id,
            mutation_id=mutation.mutation_id,
        )
        rec.updated_seq = seq
        return mine

    def log_conflict(self, conflict: Conflict, mutation_id: int, version: int) -> None:
        self.publish(
            conflict.tenant_id,
            conflict.case_id,
            entity=CONFLICT_ENTITY,
            entity_id=conflict.id,
            version=version,
            fields=conflict_snapshot(conflict),
            deleted=False,
            device_id=self.caller.device_id,
            mutation_id=mutation_id,
        )

    # --- validation ----------------------------------------------------------------------
    def owner_tenant(self, case_id: str | None) -> str:
        """Tenant that owns rows of `case_id` for this caller, or Rejected (same words either way)."""
        if not self.caller.is_guidance:
            return self.caller.tenant_id
        if case_id is None:
            raise Rejected("guidance centres may only write to escalated cases")
        if case_id not in self.escalated:
            self.escalated[case_id] = self.session.scalars(
                select(Escalation.tenant_id).where(
                    Escalation.case_id == case_id,
                    Escalation.guidance_tenant_id == self.caller.tenant_id,
                )
            ).first()
        owner = self.escalated[case_id]
        if owner is None:
            raise Rejected("unknown case")
        return owner

    def validate(self, m: Mutation) -> tuple[dict[str, Any], str | None, list[str]]:
        if m.entity not in ENTITIES:
            raise Rejected(f"unknown entity kind {m.entity!r}")
        if canonical_uuid(m.entity_id) is None:
            raise Rejected("entity_id must be a canonical lowercase UUID")
        annotations = ANNOTATION_FIELDS.get(m.entity, frozenset())
        if m.entity in APPEND_ONLY_ENTITIES and m.op != "insert" and not annotations:
            raise Rejected(f"{m.entity} is append-only: only insert is allowed")
        if m.entity in APPEND_ONLY_ENTITIES and m.op == "delete":
            raise Rejected(f"{m.entity} cannot be deleted, only hidden")
        changes = dict(m.changes)
        for name in changes:
            if not _FIELD_NAME.match(name) or name in _RESERVED_FIELDS:
                raise Rejected(f"invalid field name {name[:80]!r}")
        case_id: str | None
        raw_case = changes.pop("case_id", None)
        if m.entity in TENANT_SCOPED_ENTITIES:
            if raw_case is not None:
                raise Rejected(f"{m.entity} is not case-scoped: case_id not allowed")
            case_id = None
        elif m.entity == "case":
            if raw_case is not None and raw_case != m.entity_id:
                raise Rejected("a case's case_id must equal its id")
            case_id = m.entity_id
        elif raw_case is None and m.entity in DEVICE_SCOPED_ENTITIES and m.op == "insert":
            case_id = None  # about the device itself: kept in the caller's tenant, no case
        else:
            if raw_case is None and m.op == "insert":
                raise Rejected("case_id is required")
            if raw_case is not None and canonical_uuid(raw_case) is None:
                raise Rejected("case_id must be a canonical lowercase UUID")
            case_id = raw_case
        if m.entity in APPEND_ONLY_ENTITIES and m.op == "update":
            fixed = sorted(set(changes) - annotations)
            if fixed:
                raise Rejected(
                    f"{m.entity} can only change its annotations, not {', '.join(fixed)[:200]}"
                )
        refs = sorted(set(m.blob_refs))
        if any(not SHA256_HEX.match(ref) for ref in refs):
            raise Rejected("blob_refs must be lowercase sha256 hex digests")
        if m.resolves_conflict_id is not None and canonical_uuid(m.resolves_conflict_id) is None:
            raise Rejected("resolves_conflict_id must be a UUID")
        if self.caller.is_guidance and (m.entity not in GUIDANCE_WRITABLE or m.op != "insert"):
            raise Rejected("guidance centres may only add notes and timeline events")
        return changes, case_id, refs

    # --- apply ---------------------------------------------------------------------------
    def apply(self, m: Mutation) -> MutationResult:
        problem = mutation_problem(m, self.settings.max_changes_bytes)
        if problem is not None:
            return MutationResult(mutation_id=m.mutation_id, status="rejected", reason=problem)
        if m.entity == ALERT_ACK_ENTITY:  # not a synced row: see sync.server.alerts
            return alerts.apply_ack(self.session, self.caller, m)
        try:
            changes, case_id, refs = self.validate(m)
            tenant_id = self.owner_tenant(case_id)
            rec = self.record(tenant_id, m.entity, m.entity_id)
            if case_id is None and rec is not None:
                case_id = rec.case_id
            if rec is not None and case_id != rec.case_id:
                raise Rejected("case_id cannot change")
            if rec is None and m.entity not in ("case", *TENANT_SCOPED_ENTITIES):
                # Children may only hang off a case this caller can see (no cross-tenant links).
                if case_id is None and m.entity not in DEVICE_SCOPED_ENTITIES:
                    raise Rejected("case_id is required")
                if case_id is not None and self.record(tenant_id, "case", case_id) is None:
                    raise Rejected("unknown case")
            if (
                rec is None
                and case_id is not None
                and self._clashes_at_centre(tenant_id, case_id, m)
            ):
                raise Rejected("this id is already in use; create the record again")
            conflict = self._resolvable(m, tenant_id)
            if m.entity in APPEND_ONLY_ENTITIES and m.op == "insert":
                result = self._append(m, tenant_id, case_id, changes, rec)
            else:
                if (
                    conflict is not None
                    and rec is not None
                    and rec.deleted
                    and m.op != "delete"
                    and "_deleted" in conflict.fields
                ):
                    # A person chose to keep the edit over the delete: an explicit restore.
                    rec.deleted = False
                result = self._mutable(m, tenant_id, case_id, changes, rec)
        except Rejected as exc:
            return MutationResult(mutation_id=m.mutation_id, status="rejected", reason=str(exc))
        if result.status == "applied":
            self._link_blobs(tenant_id, m, case_id, refs)
            if conflict is not None:
                conflict.resolved_at = utcnow()
                conflict.resolved_by_device = self.caller.device_id
                self.log_conflict(conflict, m.mutation_id, 2)
        return result

    def _clashes_at_centre(self, tenant_id: str, case_id: str, m: Mutation) -> bool:
        """A new row of an escalated case whose id another company's shared row already has.

        A guidance centre's devices key rows by id: without this, a company that learnt another
        company's escalated ids could have its rows merged into theirs at the centre.
        """
        centre = self.centre_of(tenant_id, case_id)
        if centre is None:
            return False
        # The query must see the rows this push created for other tenants (a guidance centre
        # writing to two companies' cases): they become ORM records, flushed before it.
        for key, new in self.unsaved.items():
            rec = Record(**new.row())
            self.session.add(rec)
            self.records[key] = rec
        self.unsaved = {}
        return bool(shared_id_clashes(self.session, centre, tenant_id, [m.entity_id]))

    def _resolvable(self, m: Mutation, tenant_id: str) -> Conflict | None:
        if m.resolves_conflict_id is None:
            return None
        conflict = self.session.get(Conflict, m.resolves_conflict_id)
        if (
            conflict is None
            or conflict.tenant_id != tenant_id
            or (conflict.entity, conflict.entity_id) != (m.entity, m.entity_id)
            or conflict.resolved_at is not None
        ):
            raise Rejected("unknown or already resolved conflict")
        return conflict

    def _append(
        self,
        m: Mutation,
        tenant_id: str,
        case_id: str | None,
        changes: dict[str, Any],
        rec: Record | NewRecord | None,
    ) -> MutationResult:
        if rec is not None:
            # Annotations may have been edited since: only the fixed part must match.
            annotations = ANNOTATION_FIELDS.get(m.entity, frozenset())
            fixed = {k: v for k, v in changes.items() if k not in annotations}
            if {k: rec.fields.get(k) for k in fixed} == fixed and set(rec.fields) >= set(fixed):
                return MutationResult(
                    mutation_id=m.mutation_id, status="applied", version=rec.version
                )
            raise Rejected(f"{m.entity} {m.entity_id} already exists with other content")
        rec = self._insert(tenant_id, m, case_id, changes)
        seq = self.log(rec, m)
        return MutationResult(
            mutation_id=m.mutation_id, status="applied", version=1, server_seq=seq
        )

    def _insert(
        self, tenant_id: str, m: Mutation, case_id: str | None, changes: dict[str, Any]
    ) -> NewRecord:
        rec = NewRecord(
            tenant_id=tenant_id,
            entity=m.entity,
            entity_id=m.entity_id,
            case_id=case_id,
            version=1,
            fields=changes,
            field_versions=dict.fromkeys(changes, 1),
            deleted=False,
            updated_seq=0,
        )
        key = (tenant_id, m.entity, m.entity_id)
        self.records[key] = rec
        self.unsaved[key] = rec
        return rec

    def _mutable(
        self,
        m: Mutation,
        tenant_id: str,
        case_id: str | None,
        changes: dict[str, Any],
        rec: Record | NewRecord | None,
    ) -> MutationResult:
        if rec is None:
            if m.op != "insert":
                raise Rejected("unknown record")
            rec = self._insert(tenant_id, m, case_id, changes)
            seq = self.log(rec, m)
            return MutationResult(
                mutation_id=m.mutation_id, status="applied", version=1, server_seq=seq
            )
        # An insert of an id that already exists is treated as an edit made against nothing.
        base = m.base_version if m.base_version is not None else (0 if m.op == "insert" else None)
        if base is None:
            raise Rejected(f"base_version is required for {m.op}")
        if base > rec.version:
            raise Rejected("base_version is newer than the server's version")
        if m.op == "delete":
            return self._delete(m, rec, base)
        if rec.deleted:
            # Edit vs delete: never a silent resurrection, never a silent loss.
            return self._conflict(
                m, rec, base, {"_deleted": {"base": False, "server": True, "client": changes}}
            )
        apply: dict[str, Any] = {}
        clashes: dict[str, Any] = {}
        base_fields: dict[str, Any] | None = None
        for name, value in changes.items():
            if name in rec.fields and rec.fields[name] == value:
                continue
            if int(rec.field_versions.get(name, 0)) <= base or self._own_write(rec, name):
                apply[name] = value
                continue
            if base_fields is None:
                base_fields = self._fields_at(rec, base)
            clashes[name] = {
                "base": base_fields.get(name),
                "server": rec.fields.get(name),
                "client": value,
            }
        result = MutationResult(mutation_id=m.mutation_id, status="applied", version=rec.version)
        if apply:
            rec.version += 1
            rec.fields = {**rec.fields, **apply}
            rec.field_versions = {**rec.field_versions, **dict.fromkeys(apply, rec.version)}
            result.server_seq = self.log(rec, m)
            result.version = rec.version
        if clashes:
            conflict_result = self._conflict(m, rec, base, clashes)
            conflict_result.server_seq = result.server_seq
            return conflict_result
        return result

    def _delete(self, m: Mutation, rec: Record | NewRecord, base: int) -> MutationResult:
        if rec.deleted:
            return MutationResult(mutation_id=m.mutation_id, status="applied", version=rec.version)
        if rec.version > base:
            base_fields = self._fields_at(rec, base)
            changed = {
                name: {"base": base_fields.get(name), "server": value, "client": None}
                for name, value in rec.fields.items()
                if int(rec.field_versions.get(name, 0)) > base and not self._own_write(rec, name)
            }
            if changed:
                changed["_deleted"] = {"base": False, "server": False, "client": True}
                return self._conflict(m, rec, base, changed)
        rec.version += 1
        rec.deleted = True
        seq = self.log(rec, m)
        return MutationResult(
            mutation_id=m.mutation_id, status="applied", version=rec.version, server_seq=seq
        )

    def _own_write(self, rec: Record | NewRecord, name: str) -> bool:
        """True when this device itself wrote the field's current value.

        A device's mutations are sequential: its later edit was made on top of its own earlier
        one (even before it pulled the new version), so that is never a conflict. A field
        changed by anyone else since ``base_version`` still is.
        """
        version = int(rec.field_versions.get(name, 0))
        self.write_changes()  # the version may be this push's own
        writer = self.session.scalars(
            select(ChangeLog.device_id).where(
                ChangeLog.tenant_id == rec.tenant_id,
                ChangeLog.entity == rec.entity,
                ChangeLog.entity_id == rec.entity_id,
                ChangeLog.version == version,
            )
        ).first()
        return writer is not None and writer == self.caller.device_id

    def _fields_at(self, rec: Record | NewRecord, version: int) -> dict[str, Any]:
        """Row snapshot at `version` from the change log ({} if pruned or never existed)."""
        self.write_changes()  # the version may be this push's own
        fields = self.session.scalars(
            select(ChangeLog.fields).where(
                ChangeLog.tenant_id == rec.tenant_id,
                ChangeLog.entity == rec.entity,
                ChangeLog.entity_id == rec.entity_id,
                ChangeLog.version == version,
            )
        ).first()
        return dict(fields or {})

    def _conflict(
        self, m: Mutation, rec: Record | NewRecord, base: int, fields: dict[str, Any]
    ) -> MutationResult:
        conflict = Conflict(
            tenant_id=rec.tenant_id,
            case_id=rec.case_id,
            entity=rec.entity,
            entity_id=rec.entity_id,
            fields=fields,
            client_op=m.op,
            base_version=base,
            server_version=rec.version,
            device_id=self.caller.device_id,
            user_id=self.caller.user_id,
            mutation_id=m.mutation_id,
            created_at=utcnow(),
            resolved_at=None,
            resolved_by_device=None,
        )
        conflict.id = str(uuid.uuid4())
        self.session.add(conflict)
        self.log_conflict(conflict, m.mutation_id, 1)
        server_value = {name: info["server"] for name, info in fields.items() if name != "_deleted"}
        if "_deleted" in fields:
            server_value["deleted"] = rec.deleted
        return MutationResult(
            mutation_id=m.mutation_id,
            status="conflict",
            version=rec.version,
            conflict_id=conflict.id,
            server_value=server_value,
        )

    def _link_blobs(
        self, tenant_id: str, m: Mutation, case_id: str | None, refs: list[str]
    ) -> None:
        for sha in refs:
            key = (tenant_id, m.entity, m.entity_id, sha)
            if key not in self.links:
                self.links[key] = self.session.get(BlobLink, key) is not None
            if self.links[key]:
                continue
            self.links[key] = True
            # Who made the reference is kept: a link only ever shows a blob that this same
            # tenant's own upload produced (see `routes.blobs`), so naming a digest learnt
            # elsewhere reveals nothing. Links to blobs not uploaded yet stay pending: devices
            # push records before their photos.
            self.session.add(
                BlobLink(
                    tenant_id=tenant_id,
                    entity=m.entity,
                    entity_id=m.entity_id,
                    sha256=sha,
                    case_id=case_id,
                    linked_by_tenant_id=self.caller.tenant_id,
                )
            )
            if sha not in self.held:
                self.held[sha] = self.session.get(TenantBlob, (self.caller.tenant_id, sha))
            held = self.held[sha]
            if held is not None:
                held.refcount += 1


def apply_push(
    db: Database, settings: Settings, caller: Caller, request: PushRequest
) -> PushResponse:
    if request.device_id != caller.device_id:
        raise forbidden("device_id does not match the token")
    if len(request.mutations) > settings.max_mutations_per_push:
        raise ApiError(413, "too_many_mutations", f"at most {settings.max_mutations_per_push}")
    extra: set[str] = set()
    for _attempt in range(_LOCK_ATTEMPTS):
        try:
            return _push_once(db, settings, caller, request, extra)
        except _MoreStreams as more:
            extra.add(more.stream)
    raise ApiError(503, "busy", "the push kept meeting new escalations: send it again")


def _push_once(
    db: Database, settings: Settings, caller: Caller, request: PushRequest, extra: set[str]
) -> PushResponse:
    with db.writing() as session:
        device = session.get_one(Device, caller.device_id)
        last = device.last_mutation_id
        fresh = [m for m in request.mutations if m.mutation_id > last]
        # Only the streams this push writes are locked (in a fixed order), so one tenant's
        # pushes never wait for another's. A replay or an empty push locks nothing.
        streams, escalations = streams_written(session, caller, fresh) if fresh else (set(), False)
        heads = lock_streams(session, streams | extra)
        if streams and not escalations and not caller.is_guidance:
            # Looked at before the lock: an escalation may have committed since. Now that the
            # tenant's lock is held, none can appear until this push commits.
            escalations = _has_escalation(session, caller.tenant_id)
        if streams and session.get_bind().dialect.name != "sqlite":
            # Another push of this device may have committed while we waited for the lock
            # (on SQLite the first read above already ran under `BEGIN IMMEDIATE`).
            session.refresh(device)
            last = device.last_mutation_id
            fresh = [m for m in request.mutations if m.mutation_id > last]
        expected = last + 1
        for mutation in request.mutations:
            if mutation.mutation_id <= last:
                continue
            if mutation.mutation_id != expected:
                raise ApiError(
                    409, "mutation_gap", f"expected mutation {last + 1}", expected=last + 1
                )
            expected += 1
        replayed = [m.mutation_id for m in request.mutations if m.mutation_id <= last]
        stored = (
            {
                row.mutation_id: row
                for row in session.scalars(
                    select(MutationLog).where(
                        MutationLog.device_id == caller.device_id,
                        MutationLog.mutation_id.in_(replayed),
                    )
                )
            }
            if replayed
            else {}
        )
        applier = _Applier(
            session=session,
            caller=caller,
            settings=settings,
            heads=dict(heads),
            escalations=escalations or bool(extra),
        )
        if fresh and not caller.is_guidance:
            applier.preload(fresh)
        results: list[MutationResult] = []
        outcomes: list[dict[str, Any]] = []  # the mutation log's rows
        for mutation in request.mutations:
            if mutation.mutation_id <= last:
                old = stored.get(mutation.mutation_id)
                if (
                    old is not None
                    and old.content_hash is not None
                    and old.content_hash != content_hash(mutation)
                ):
                    # The device and HQ disagree about what this id is (a restored or buggy
                    # device): never answer "duplicate" and let its new edit vanish.
                    raise ApiError(
                        422,
                        "mutation_id_reused",
                        f"mutation {mutation.mutation_id} was already received with other content",
                        expected=last + 1,
                    )
                results.append(
                    MutationResult(
                        mutation_id=mutation.mutation_id,
                        status="duplicate",
                        version=old.version if old else None,
                        server_seq=old.server_seq if old else None,
                        conflict_id=old.conflict_id if old else None,
                        reason=old.reason if old else None,
                    )
                )
                continue
            result = applier.apply(mutation)
            outcomes.append(
                {
                    "device_id": caller.device_id,
                    "mutation_id": mutation.mutation_id,
                    "status": result.status,
                    "version": result.version,
                    "server_seq": result.server_seq,
                    "conflict_id": result.conflict_id,
                    "reason": result.reason,
                    "content_hash": content_hash(mutation),
                }
            )
            results.append(result)
        applier.write_changes()
        applier.write_records()
        if outcomes:  # one statement, like the change log (see `_Applier.pending`)
            session.execute(insert(_table(MutationLog)), outcomes)
        if fresh:
            device.last_mutation_id = fresh[-1].mutation_id
        device.last_seen_at = utcnow()
        # The console's case summary follows later, once for all pushes (`summary.catch_up`).
        advance_streams(session, heads, applier.heads)
        return PushResponse(results=results, last_mutation_id=device.last_mutation_id)
