"""Conflicts HQ recorded: kept here, flagged on the case, resolved by a person.

A conflict arrives two ways: in this device's push result (its own edit lost the race) and as a
pulled ``sync_conflict`` change (every node sees every conflict). Resolving one is an ordinary
outbox mutation that names the conflict (``resolves_conflict_id`` on the wire), so the choice
reaches HQ and every other node like any edit; the conflict closes when HQ applies it.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairdesk import events, outbox
from fairdesk.errors import NotFoundError, ValidationError
from fairdesk.i18n import _
from fairdesk.model import Case, OutboxEntry
from fairdesk.store import Store
from fairdesk.syncmodel import SyncConflict, conflict_json, open_conflicts
from fairdesk.timeutil import utcnow
from sync.client.apply import row_values, tables

Pick = Literal["ours", "theirs"]


def refresh_review_flags(session: Session, case_ids: set[str]) -> None:
    for case_id in case_ids:
        case = session.get(Case, case_id)
        if case is not None:
            case.needs_review = bool(open_conflicts(session, case_id))


def store_pulled(
    session: Session, conflict_id: str, case_id: str | None, snap: dict[str, Any]
) -> None:
    row = session.get(SyncConflict, conflict_id)
    if row is None:
        row = SyncConflict(id=conflict_id, entity="", entity_id="")
        session.add(row)
    row.case_id = case_id
    row.entity = str(snap.get("entity", row.entity))
    row.entity_id = str(snap.get("entity_id", row.entity_id))
    row.fields = dict(snap.get("fields") or {})
    row.client_op = str(snap.get("client_op") or "update")
    row.base_version = int(snap.get("base_version") or 0)
    row.server_version = int(snap.get("server_version") or 0)
    row.device_id = str(snap.get("device_id") or "")
    row.user_id = str(snap.get("user_id") or "")
    row.created_at = str(snap.get("created_at") or "")
    row.resolved = bool(snap.get("resolved"))
    row.resolved_by_device = str(snap.get("resolved_by_device") or "")
    if row.resolved:
        row.resolution_mutation_id = None


def store_from_push(
    session: Session,
    entry: OutboxEntry,
    conflict_id: str,
    server_value: dict[str, Any] | None,
    version: int | None,
    device_id: str,
) -> None:
    """A first, partial record; the pulled ``sync_conflict`` change completes it."""
    if session.get(SyncConflict, conflict_id) is not None:
        return
    server = server_value or {}
    fields: dict[str, Any] = {
        name: {"base": None, "server": value, "client": entry.changes.get(name)}
        for name, value in server.items()
        if name != "deleted"
    }
    if "deleted" in server:
        fields["_deleted"] = {
            "base": False,
            "server": server["deleted"],
            "client": entry.op == "delete",
        }
    session.add(
        SyncConflict(
            id=conflict_id,
            case_id=entry.case_id,
            entity=entry.entity,
            entity_id=entry.entity_id,
            fields=fields,
            client_op=entry.op,
            base_version=entry.base_version or 0,
            server_version=version or 0,
            device_id=device_id,
            created_at=entry.client_time.isoformat(),
        )
    )


def list_conflicts(store: Store, case_id: str | None = None) -> list[dict[str, Any]]:
    with store.read() as session:
        return [conflict_json(c) for c in open_conflicts(session, case_id)]


def resolve(
    store: Store,
    conflict_id: str,
    *,
    pick: Pick | None = None,
    value: dict[str, Any] | None = None,
) -> int:
    """Record the person's decision as an outbox mutation; returns its mutation id.

    ``pick="theirs"`` keeps what HQ has, ``"ours"`` re-applies the losing edit, ``value`` sets
    merged values ({field: value}) typed by the person.
    """
    if (pick is None) == (value is None):
        raise ValidationError(_("Choose either a side (ours or theirs) or a merged value."))
    with store.write() as session:
        conflict = session.get(SyncConflict, conflict_id)
        if conflict is None:
            raise NotFoundError(_("No conflict with id {id}.").format(id=conflict_id))
        if conflict.resolved:
            raise ValidationError(_("This conflict is already resolved."))
        if conflict.resolution_mutation_id is not None:
            raise ValidationError(_("A decision on this conflict is already waiting to be sent."))
        table = tables().get(conflict.entity)
        if table is None:
            raise ValidationError(_("This kind of record cannot be edited on this device."))
        row = (
            session.execute(select(table).where(table.c.id == conflict.entity_id))
            .mappings()
            .first()
        )
        version = (
            int(row["version"]) if row is not None and "version" in row else conflict.server_version
        )
        fields = {k: v for k, v in conflict.fields.items() if k != "_deleted"}
        deletion = conflict.fields.get("_deleted")
        op = "update"
        changes: dict[str, Any] = {}
        if value is not None:
            unknown = set(value) - set(fields)
            if unknown:
                raise ValidationError(
                    _("These fields are not part of the conflict: {names}").format(
                        names=", ".join(sorted(unknown))
                    )
                )
            changes = dict(value)
        elif pick == "ours":
            if deletion is not None and deletion.get("client") is True:
                op = "delete"
            else:
                client = deletion.get("client") if deletion is not None else None
                if isinstance(client, dict):
                    changes = dict(client)  # an edit made to a row HQ had deleted
                else:
                    changes = {name: info.get("client") for name, info in fields.items()}
        else:  # theirs
            if deletion is not None and deletion.get("server") is True:
                op = "delete"
            else:
                changes = {name: info.get("server") for name, info in fields.items()}
        case_id = conflict.case_id
        if conflict.entity != "case" and conflict.entity != "fair" and case_id:
            changes.setdefault("case_id", case_id)
        entry = outbox.record(
            session,
            entity=conflict.entity,
            entity_id=conflict.entity_id,
            op=op,
            changes=changes,
            case_id=case_id,
            base_version=version,
        )
        session.flush()
        conflict.resolution_mutation_id = entry.mutation_id
        # Show the decision at once; HQ's answer comes back with the next pull.
        if row is not None:
            local = {k: v for k, v in changes.items() if k in table.columns and k != "case_id"}
            values = row_values(table, local)
            if op == "delete" and "deleted_at" in table.columns:
                values["deleted_at"] = utcnow()
            if values:
                session.execute(
                    table.update().where(table.c.id == conflict.entity_id).values(**values)
                )
        mutation_id = entry.mutation_id
    if case_id:
        events.emit(events.Change.CASE, case_id)
    return mutation_id


def resolution_map(session: Session, mutation_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(SyncConflict.resolution_mutation_id, SyncConflict.id).where(
            SyncConflict.resolution_mutation_id.in_(mutation_ids)
        )
    )
    return {int(mid): cid for mid, cid in rows if mid is not None}
