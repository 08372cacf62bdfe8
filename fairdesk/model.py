"""The domain entities (SQLAlchemy 2 typed ORM): fairs, cases and what hangs on a case.

Ids are UUIDv7 strings generated on the device; times are stored as UTC. Mutable rows
(fair, case, party, IP right, deadline) carry the server-assigned ``version`` and a
``deleted_at`` tombstone for sync; append-only rows (notes, timeline events) are never
updated. The ``outbox`` and ``sync_state`` tables are written in the same transaction as
each edit (see docs/sync.md) so sync can be added without touching the edits.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from fairdesk.enums import (  # re-exported: the ORM columns and callers use them from here
    LABELS as LABELS,
)
from fairdesk.enums import DeadlineRule as DeadlineRule
from fairdesk.enums import Direction as Direction
from fairdesk.enums import Level as Level
from fairdesk.enums import OutboxState
from fairdesk.enums import PartyRole as PartyRole
from fairdesk.enums import RightKind as RightKind
from fairdesk.enums import Status as Status
from fairdesk.enums import Trigger as Trigger


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and hands them back aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON}


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store the value strings (readable in the file, stable across renames of the Python name).
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


class SyncedMixin:
    """Columns every mutable, synced row has."""

    version: Mapped[int] = mapped_column(Integer, default=0)  # server-assigned; 0 = never synced
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Device(Base):
    """This installation. Exactly one row; its short code makes case numbers unique."""

    __tablename__ = "device"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    short_code: Mapped[str] = mapped_column(String(8), unique=True)
    user_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    next_case_seq: Mapped[int] = mapped_column(Integer, default=1)


class Fair(SyncedMixin, Base):
    __tablename__ = "fair"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")  # ISO 3166-1 alpha-2
    venue: Mapped[str] = mapped_column(String(300), default="")
    starts_on: Mapped[date | None] = mapped_column(Date, default=None)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None)
    time_zone: Mapped[str] = mapped_column(String(64))
    # Fair-local HH:MM; "" = not known (then "end of the fair day" asks for it, never guesses).
    closing_time: Mapped[str] = mapped_column(String(5), default="18:00")
    opening_time: Mapped[str] = mapped_column(String(5), default="")
    name_zh: Mapped[str] = mapped_column(String(300), default="")
    name_local: Mapped[str] = mapped_column(String(300), default="")
    organiser: Mapped[str] = mapped_column(String(300), default="")
    ip_desk: Mapped[str] = mapped_column(String(2000), default="")
    library_venue: Mapped[str] = mapped_column(String(100), default="")  # e.g. venue.ces
    source_url: Mapped[str] = mapped_column(String(500), default="")
    source_checked: Mapped[str] = mapped_column(String(10), default="")  # ISO date
    catalogue_key: Mapped[str] = mapped_column(String(100), default="")  # "" = user's own fair
    notes: Mapped[str] = mapped_column(String(2000), default="")

    cases: Mapped[list[Case]] = relationship(back_populates="fair")


class Case(SyncedMixin, Base):
    __tablename__ = "case_file"  # "case" is an SQL keyword
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    trigger: Mapped[Trigger] = mapped_column(_enum(Trigger))
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.OPEN)
    level: Mapped[Level] = mapped_column(_enum(Level))  # effective: override or computed
    computed_level: Mapped[Level] = mapped_column(_enum(Level))
    level_reason: Mapped[str] = mapped_column(String(200), default="")  # rule id that fired
    level_override: Mapped[Level | None] = mapped_column(_enum(Level), default=None)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    fair_id: Mapped[str | None] = mapped_column(ForeignKey("fair.id"), default=None)
    hall: Mapped[str] = mapped_column(String(100), default="")
    booth: Mapped[str] = mapped_column(String(100), default="")
    products: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    served_at: Mapped[datetime | None] = mapped_column(default=None)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)  # open sync conflicts
    # The user's correction of the situation (fairdesk.situation key, e.g.
    # "respondent/ex_parte_order_served/UPC"); "" = computed from the facts. Synced.
    situation_override: Mapped[str] = mapped_column(String(80), default="")

    fair: Mapped[Fair | None] = relationship(back_populates="cases")
    parties: Mapped[list[Party]] = relationship(back_populates="case", order_by="Party.created_at")
    rights: Mapped[list[IpRight]] = relationship(
        back_populates="case", order_by="IpRight.created_at"
    )
    deadlines: Mapped[list[Deadline]] = relationship(
        back_populates="case", order_by="Deadline.due_at"
    )
    notes: Mapped[list[Note]] = relationship(back_populates="case", order_by="Note.created_at")
    timeline: Mapped[list[TimelineEvent]] = relationship(
        back_populates="case", order_by="TimelineEvent.created_at"
    )

    __table_args__ = (
        Index("ix_case_level_status", "level", "status"),
        # Migration 0006 adds ``next_due_at`` (the next open deadline, kept by triggers on
        # ``deadline``; derived, so deliberately not mapped or synced) and the covering index
        # ``ix_case_file_list`` the case list uses.
    )


class Party(SyncedMixin, Base):
    __tablename__ = "party"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), index=True)
    role: Mapped[PartyRole] = mapped_column(_enum(PartyRole))
    name: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str] = mapped_column(String(300), default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    # The court's or authority's file number (Aktenzeichen, 案号), or another party's reference.
    reference: Mapped[str] = mapped_column(String(100), default="")
    case: Mapped[Case] = relationship(back_populates="parties")


class IpRight(SyncedMixin, Base):
    __tablename__ = "ip_right"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[RightKind] = mapped_column(_enum(RightKind))
    number: Mapped[str] = mapped_column(String(100), default="")
    office: Mapped[str] = mapped_column(
        String(100), default=""
    )  # country or office, e.g. DE, EP, CN
    owner: Mapped[str] = mapped_column(String(300), default="")
    right_status: Mapped[str] = mapped_column(String(100), default="")  # granted, pending, ...
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)
    asserted_by_us: Mapped[bool] = mapped_column(Boolean, default=False)
    case: Mapped[Case] = relationship(back_populates="rights")


class Deadline(SyncedMixin, Base):
    __tablename__ = "deadline"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), index=True)
    what: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime] = mapped_column(index=True)
    rule: Mapped[DeadlineRule] = mapped_column(_enum(DeadlineRule), default=DeadlineRule.FIXED)
    rule_hours: Mapped[int | None] = mapped_column(Integer, default=None)
    source: Mapped[str] = mapped_column(String(500), default="")  # e.g. "Canton Fair rules art. 14"
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    case: Mapped[Case] = relationship(back_populates="deadlines")

    # A case's next open deadline from the index alone (the list's sort key; 0006).
    __table_args__ = (Index("ix_deadline_open_due", "case_id", "done", "deleted_at", "due_at"),)


class Note(Base):
    """Append-only: a note is never edited; corrections are new notes."""

    __tablename__ = "note"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200), default="")
    device_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime]
    case: Mapped[Case] = relationship(back_populates="notes")


class TimelineEvent(Base):
    """Append-only history: creation, status and level changes (with reason), edits."""

    __tablename__ = "timeline_event"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # created, status, level, edit, note, ...
    old_value: Mapped[str] = mapped_column(String(200), default="")
    new_value: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(200), default="")
    device_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime]
    case: Mapped[Case] = relationship(back_populates="timeline")


class FairCatalogueSeed(Base):
    """Which edition of the shipped fair catalogue this database was seeded with (one row)."""

    __tablename__ = "fair_catalogue"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(Integer)
    seeded_at: Mapped[datetime]


class OutboxEntry(Base):
    """One user edit waiting to be pushed to HQ; immutable once first sent (docs/sync.md)."""

    __tablename__ = "outbox"
    mutation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[str | None] = mapped_column(String(36), default=None)
    op: Mapped[str] = mapped_column(String(10))  # insert | update | delete
    base_version: Mapped[int | None] = mapped_column(Integer, default=None)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    blob_refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    client_time: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.WAITING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # HQ's version of the row after applying this mutation (0008): a pulled snapshot of an
    # older version must not hide it (sync.client.apply.Applier._overlay_own).
    acked_version: Mapped[int | None] = mapped_column(Integer, default=None)


class SyncState(Base):
    """Device-wide sync bookkeeping; updated with the rows it describes."""

    __tablename__ = "sync_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    server_url: Mapped[str] = mapped_column(String(500), default="")
    last_acked_mutation_id: Mapped[int] = mapped_column(Integer, default=0)
    pull_cursor: Mapped[str] = mapped_column(String(100), default="")
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
