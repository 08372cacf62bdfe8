"""Applying rows pulled from HQ to the device's own tables, without creating outbox entries.

Each pulled change is a full snapshot of a row (or a tombstone). A field never moves backwards:
a snapshot is taken only when its version is newer than the version the device holds for the
row, and this device's own edits that HQ acknowledged at a newer version than the snapshot's
(``OutboxEntry.acked_version``) are laid back on top — together that is the per-field rule "a
field takes a pulled value only if it is newer than what the device holds for that field,
counting its own acknowledged mutations". (HQ's snapshot made by another device *before* our
acknowledged edit would otherwise undo that edit on our own screen.) Then any edit still waiting
in this device's outbox for the same row is laid back on top too, so a pull never hides work the
user has not sent yet (HQ will judge it, and report a conflict if it clashes). Append-only rows are inserted once; only their annotation fields
(``sync.protocol.ANNOTATION_FIELDS``: an evidence item's caption, hidden flag, ...) are updated
afterwards, with the same overlay of pending edits. Local-only columns (warning level, search
index, "needs review") are recomputed here.

Case numbers are unique on each device. Numbers are made from the creating device's short code,
so two devices whose codes happen to collide can create the same number; a pulled case whose
number is already used here by another case is kept under the number with a suffix ("-2", ...)
and a timeline note says so, instead of failing the insert (which would stop every later pull).
That local number is kept on later pulls of the same case and never sent back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from fairdesk import search
from fairdesk.documents.model import GeneratedDocument
from fairdesk.enums import UNSENT_STATES, OutboxState
from fairdesk.evidence.models import CustodyEvent, EvidenceItem
from fairdesk.evidence.vocab import Integrity
from fairdesk.i18n import _
from fairdesk.ids import new_id
from fairdesk.knowledge.levels import assess_stored_case
from fairdesk.knowledge.library import Library
from fairdesk.model import (
    Base,
    Case,
    Deadline,
    Device,
    Fair,
    IpRight,
    Level,
    Note,
    OutboxEntry,
    Party,
    TimelineEvent,
)
from fairdesk.timeutil import utcnow
from sync.protocol import ANNOTATION_FIELDS, APPEND_ONLY_ENTITIES

log = logging.getLogger(__name__)

# Wire entity -> local model. Every synced entity ships with the app, so all are always here.
ENTITY_MODELS: dict[str, type[Base]] = {
    "fair": Fair,
    "case": Case,
    "party": Party,
    "ip_right": IpRight,
    "deadline": Deadline,
    "note": Note,
    "timeline_event": TimelineEvent,
    "evidence_item": EvidenceItem,
    "custody_event": CustodyEvent,
    "document": GeneratedDocument,
}
# Columns each node computes for itself: never taken from the wire.
LOCAL_ONLY = frozenset(
    {
        "level",
        "computed_level",
        "level_reason",
        "needs_review",
        "integrity",
        "integrity_checked_at",
        "version",
        "deleted_at",
    }
)
# Local columns whose name HQ reserves: a document's own "version" (2nd rendering of a kind) is
# not the sync version, so it travels as "doc_version" and the sync version is not stored.
WIRE_RENAMES: dict[str, dict[str, str]] = {"document": {"version": "doc_version"}}


def tables() -> dict[str, Table]:
    """Wire entity -> its local table."""
    found = {}
    for entity, model in ENTITY_MODELS.items():
        table = model.__table__
        assert isinstance(table, Table)  # declarative models map to plain tables
        found[entity] = table
    return found


def _python_type(column: Any) -> type:
    kind = column.type
    impl = getattr(kind, "impl_instance", None) or getattr(kind, "impl", None)
    for candidate in (impl, kind):
        if candidate is None or isinstance(candidate, type):
            continue
        try:
            found: type = candidate.python_type
        except (NotImplementedError, AttributeError):
            continue
        if found is not object:
            return found
    return object


def _convert(table: Table, name: str, value: Any) -> Any:
    column = table.columns[name]
    if value is None:
        return None
    enum_class = getattr(column.type, "enum_class", None)
    if enum_class is not None:
        return enum_class(value)
    python_type = _python_type(column)
    if python_type is datetime and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if python_type is date and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if python_type is bool and not isinstance(value, bool):
        return bool(value)
    return value


def row_values(table: Table, fields: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for name, value in fields.items():
        if name in table.columns and name not in LOCAL_ONLY and name != "id":
            column = table.columns[name]
            if value is None and not column.nullable:
                # Sent before the ORM default was applied ("" / False / 0): use the default.
                default = column.default
                if default is not None and default.is_scalar:
                    values[name] = getattr(default, "arg", None)
                continue
            try:
                values[name] = _convert(table, name, value)
            except (ValueError, TypeError, LookupError):
                log.warning("ignoring bad pulled value %s.%s=%r", table.name, name, value)
    return values


def _fill_required(table: Table, values: dict[str, Any], now: datetime) -> None:
    """Values for NOT NULL columns the wire does not carry (timestamps, local flags)."""
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if column.default is not None or column.server_default is not None:
            continue
        python_type = _python_type(column)
        enum_class = getattr(column.type, "enum_class", None)
        if enum_class is Level:
            values[column.name] = Level.BLUE  # recomputed right after
        elif enum_class is not None:
            values[column.name] = next(iter(enum_class))
        elif python_type is datetime:
            values[column.name] = now
        elif python_type is bool:
            values[column.name] = False
        elif python_type in (int, float):
            values[column.name] = 0
        elif python_type in (dict, list):
            values[column.name] = python_type()
        else:
            values[column.name] = ""


class Applier:
    """Applies one page of pulled changes inside the caller's transaction."""

    def __init__(self, session: Session, library: Library) -> None:
        self.session = session
        self.library = library  # the folder's active reference library: levels use it
        self.tables = tables()
        self.now = utcnow()
        self.touched_cases: set[str] = set()
        self.renumbered: list[tuple[str, str, str]] = []
        # Our own changes coming back, by entity: written by `finish` (see `echo`).
        self.echoes: dict[str, list[dict[str, Any]]] = {}

    def apply(
        self,
        entity: str,
        entity_id: str,
        case_id: str | None,
        version: int,
        fields: dict[str, Any],
        deleted: bool,
    ) -> None:
        table = self.tables.get(entity)
        if table is None:
            return  # a kind this installation does not have (feature not installed)
        values = row_values(table, fields)
        renames = WIRE_RENAMES.get(entity, {})
        for local, wire in renames.items():
            if wire in fields and local in table.columns:
                values[local] = fields[wire]
        has_sync_version = "version" in table.columns and "version" not in renames
        if case_id is not None and "case_id" in table.columns and entity != "case":
            values["case_id"] = case_id
        if entity in ("evidence_item",) and "integrity" in table.columns:
            values.setdefault("integrity", Integrity.REMOTE.value)  # bytes on HQ until downloaded
        pk = table.c.id
        held = self._held_version(table, entity_id, has_sync_version)
        exists = held is not None
        if exists and has_sync_version and version <= (held or 0):
            return  # not newer than what this device holds: never move a field backwards
        if entity in APPEND_ONLY_ENTITIES:
            if exists:
                annotations = ANNOTATION_FIELDS.get(entity, frozenset())
                update = {k: v for k, v in values.items() if k in annotations}
                if has_sync_version:
                    update["version"] = version
                if update:
                    self.session.execute(table.update().where(pk == entity_id).values(**update))
                if annotations:
                    self._overlay_own(entity, entity_id, table, newer_than=version)
                    self._overlay_pending(entity, entity_id, table)
            else:
                values["id"] = entity_id
                if has_sync_version:
                    values["version"] = version
                _fill_required(table, values, self.now)
                self.session.execute(table.insert().values(**values))
        else:
            if entity == "case" and "number" in values:
                values["number"] = self._free_number(entity_id, str(values["number"]), exists)
            if "version" in table.columns:
                values["version"] = version
            if "deleted_at" in table.columns:
                values["deleted_at"] = self.now if deleted else None
            if exists:
                if deleted and "deleted_at" in table.columns:
                    # Keep the first tombstone time this node saw.
                    current = self.session.execute(
                        select(table.c.deleted_at).where(pk == entity_id)
                    ).scalar()
                    values["deleted_at"] = current or self.now
                self.session.execute(table.update().where(pk == entity_id).values(**values))
            else:
                values["id"] = entity_id
                _fill_required(table, values, self.now)
                self.session.execute(table.insert().values(**values))
            self._overlay_own(entity, entity_id, table, newer_than=version)
            self._overlay_pending(entity, entity_id, table)
        if entity == "case":
            self.touched_cases.add(entity_id)
        elif case_id:
            self.touched_cases.add(case_id)

    def echo(self, entity: str, entity_id: str, version: int) -> None:
        """Our own change coming back from HQ, already applied here when it was made.

        Only HQ's version number is new to this row (the next edit's base_version); the fields
        are ours already, so the row is not re-written, re-overlaid or re-numbered.
        """
        table = self.tables.get(entity)
        if table is None or "version" not in table.columns:
            return
        if entity in APPEND_ONLY_ENTITIES and "version" in WIRE_RENAMES.get(entity, {}):
            return  # "version" is the entity's own number there, not HQ's
        self.echoes.setdefault(entity, []).append({"echo_id": entity_id, "echo_version": version})

    def _write_echoes(self) -> None:
        """The page's echoes, one statement per table (a page of a week's notes is 500 of them).

        Order within the page does not matter: max() never takes a row below a version it
        already holds, whether a later change of the page or an earlier snapshot brought it.
        """
        for entity, rows in self.echoes.items():
            table = self.tables[entity]
            self.session.execute(
                table.update()
                .where(table.c.id == bindparam("echo_id"))
                .values(
                    version=func.max(func.coalesce(table.c.version, 0), bindparam("echo_version"))
                ),
                rows,
            )
        self.echoes = {}

    def _held_version(self, table: Table, entity_id: str, has_sync_version: bool) -> int | None:
        """HQ's version of the row as this device holds it (0 if unknown); None: no such row."""
        pk = table.c.id
        if not has_sync_version:
            found = self.session.execute(select(pk).where(pk == entity_id)).first()
            return None if found is None else 0
        row = self.session.execute(select(table.c.version).where(pk == entity_id)).first()
        if row is None:
            return None
        return int(row[0] or 0)

    def _free_number(self, case_id: str, number: str, exists: bool) -> str:
        """`number`, or a suffixed form when another local case already uses it."""
        table = self.tables["case"]
        if exists:
            current = self.session.execute(
                select(table.c.number).where(table.c.id == case_id)
            ).scalar()
            if current is not None and (current == number or current.startswith(number + "-")):
                return str(current)  # keep the number this device shows for the case
        taken = self.session.execute(
            select(table.c.id).where(table.c.number == number, table.c.id != case_id)
        ).first()
        if taken is None:
            return number
        suffix = 2
        while self.session.execute(
            select(table.c.id).where(table.c.number == f"{number}-{suffix}")
        ).first():
            suffix += 1
        local = f"{number}-{suffix}"
        self.renumbered.append((case_id, number, local))
        return local

    def _note_renumbered(self) -> None:
        """A local timeline note (never synced) for each case kept under a suffixed number."""
        device = self.session.scalars(select(Device)).first()
        for case_id, number, local in self.renumbered:
            self.session.add(
                TimelineEvent(
                    id=new_id(),
                    case_id=case_id,
                    kind="edit",
                    old_value=number,
                    new_value=local,
                    reason=_(
                        "Another case on this computer already has the number {number}; this "
                        "case is shown here as {local}. Its number at HQ is unchanged."
                    ).format(number=number, local=local),
                    author=device.user_name if device else "",
                    device_id=device.id if device else "",
                    created_at=self.now,
                )
            )
        self.renumbered.clear()

    def _overlay_own(self, entity: str, entity_id: str, table: Table, *, newer_than: int) -> None:
        """Lay this device's own applied edits that HQ made *after* ``newer_than`` back on top.

        Another device's change arrives as the row at its version; when our edit of another
        field was applied by HQ later (a higher version), that snapshot does not contain it yet
        and its echo only brings the version: without this, the edit would vanish here although
        HQ and every other node keep it.
        """
        newer = self.session.scalars(
            select(OutboxEntry)
            .where(
                OutboxEntry.entity == entity,
                OutboxEntry.entity_id == entity_id,
                OutboxEntry.state == OutboxState.SENT,
                OutboxEntry.acked_version > newer_than,
            )
            .order_by(OutboxEntry.mutation_id)
        ).all()
        self._lay(newer, entity_id, table)

    def _overlay_pending(self, entity: str, entity_id: str, table: Table) -> None:
        pending = self.session.scalars(
            select(OutboxEntry)
            .where(
                OutboxEntry.entity == entity,
                OutboxEntry.entity_id == entity_id,
                OutboxEntry.state.in_(UNSENT_STATES),
            )
            .order_by(OutboxEntry.mutation_id)
        ).all()
        self._lay(pending, entity_id, table)

    def _lay(self, entries: Sequence[OutboxEntry], entity_id: str, table: Table) -> None:
        for entry in entries:
            if entry.op == "delete":
                values: dict[str, Any] = {"deleted_at": self.now}
            else:
                values = row_values(table, entry.changes)
            if values:
                self.session.execute(table.update().where(table.c.id == entity_id).values(**values))

    def finish(self) -> set[str]:
        """Write the echoes; recompute warning levels and the search index of every case
        touched."""
        self._write_echoes()
        self.session.flush()
        self._note_renumbered()
        self.session.flush()
        self.session.expire_all()
        for case_id in self.touched_cases:
            case = self.session.get(Case, case_id)
            if case is None:
                continue
            # The same function, with the same library, as every other path (no floor lost).
            assessment = assess_stored_case(case, self.now, self.library)
            case.computed_level = assessment.level
            case.level_reason = assessment.rule
            case.level = case.level_override or assessment.level
            search.reindex_case(self.session, case)
        self.session.flush()
        return set(self.touched_cases)
