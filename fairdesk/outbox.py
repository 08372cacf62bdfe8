"""Writing outbox entries: every user edit records its mutation in the same transaction."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

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
        state="waiting",
    )
    session.add(entry)
    return entry
