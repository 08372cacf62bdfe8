"""Writing outbox entries: every user edit records its mutation in the same transaction.

``insert_row``, ``update_row`` and ``delete_row`` change a synced row and record the matching
entry in one call, so the entry always carries what was written; ``record`` is for the few
mutations that are not a plain row change (an acknowledgement, a conflict decision).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from fairdesk.enums import OutboxState
from fairdesk.model import OutboxEntry
from fairdesk.timeutil import utcnow


def wire_value(value: Any) -> Any:
    """A JSON-ready form of a column value (ISO 8601 times, enum values)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def record(
    session: Session,
    *,
    entity: str,
    entity_id: str,
    op: str,
    changes: dict[str, Any],
    case_id: str | None,
    base_version: int | None = None,
    blob_refs: list[str] | None = None,
) -> OutboxEntry:
    """Add the mutation to the outbox; the caller's commit makes edit and entry atomic."""
    entry = OutboxEntry(
        entity=entity,
        entity_id=entity_id,
        case_id=case_id,
        op=op,
        base_version=base_version,
        changes={key: wire_value(value) for key, value in changes.items()},
        blob_refs=blob_refs or [],
        client_time=utcnow(),
        state=OutboxState.WAITING,
    )
    session.add(entry)
    return entry


class NewRow(Protocol):
    """Any synced row: inserted with the id every node will know it by."""

    id: str


class EditableRow(NewRow, Protocol):
    """A row that is edited: the version HQ last confirmed (what an edit is based on)."""

    version: int
    updated_at: datetime


class RemovableRow(EditableRow, Protocol):
    """A row removed by a tombstone (``SyncedMixin``)."""

    deleted_at: datetime | None


def insert_row(
    session: Session,
    row: NewRow,
    *,
    entity: str,
    case_id: str | None,
    fields: Iterable[str],
    blob_refs: list[str] | None = None,
) -> OutboxEntry:
    """Add a new row (if not added yet) and its "insert" entry carrying ``fields`` of it."""
    session.add(row)
    return record(
        session,
        entity=entity,
        entity_id=row.id,
        op="insert",
        case_id=case_id,
        changes={name: getattr(row, name) for name in fields},
        blob_refs=blob_refs,
    )


def update_row(
    session: Session,
    row: EditableRow,
    values: Mapping[str, Any],
    *,
    entity: str,
    case_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Set the ``values`` that differ from the row's and record them as one field-level update.

    The entry is based on the version the edit was made on (HQ finds conflicts from it), and
    ``updated_at`` moves to ``now``. Returns what changed; nothing changed, nothing recorded.
    """
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not changed:
        return {}
    base_version = row.version
    for name, value in changed.items():
        setattr(row, name, value)
    row.updated_at = now
    record(
        session,
        entity=entity,
        entity_id=row.id,
        op="update",
        case_id=case_id,
        base_version=base_version,
        changes=changed,
    )
    return changed


def delete_row(
    session: Session,
    row: RemovableRow,
    *,
    entity: str,
    case_id: str | None,
    now: datetime,
    reason: str = "",
) -> OutboxEntry:
    """Tombstone a row (``deleted_at``; kept on disk, never erased) and record the delete."""
    row.deleted_at = now
    row.updated_at = now
    return record(
        session,
        entity=entity,
        entity_id=row.id,
        op="delete",
        case_id=case_id,
        base_version=row.version,
        changes={"reason": reason} if reason else {},
    )
