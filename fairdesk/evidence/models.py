"""Tables of the evidence vault: evidence items and the per-device custody log.

An evidence item points at an immutable original in ``vault/`` by its SHA-256; the row holds
what was read from the original (capture time as the camera claimed it, GPS, camera) and
what the responder adds (caption, what it shows, where, who witnessed). Items are never
erased: a delete hides the row and records why; the bytes stay until an explicit, logged purge.

The custody log is append-only and tamper-evident: each device numbers its own entries
(``seq`` 1, 2, 3, ...) and each entry's hash covers the previous entry's hash, so deleting,
editing or reordering an entry breaks the chain at a place that can be named. The leaf hashes
(``0x00 || entry``) also form an RFC 6962 Merkle tree whose root an export signs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fairdesk.evidence.vocab import Integrity
from fairdesk.model import Base


class EvidenceItem(Base):
    """One piece of evidence in one case (append-only apart from the responder's notes)."""

    __tablename__ = "evidence_item"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_file.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(100))  # detected from the bytes, never the name
    kind: Mapped[str] = mapped_column(String(10))  # a vocab.EvidenceKind value
    # Capture time as the camera recorded it: a claim by the device's clock, not a proof.
    captured_at: Mapped[datetime | None] = mapped_column(default=None)  # UTC, if offset known
    captured_local: Mapped[str] = mapped_column(String(40), default="")  # as written, ISO
    captured_offset: Mapped[str] = mapped_column(String(8), default="")  # "+08:00" or ""
    capture_is_claim: Mapped[bool] = mapped_column(Boolean, default=True)
    gps_lat: Mapped[float | None] = mapped_column(Float, default=None)
    gps_lon: Mapped[float | None] = mapped_column(Float, default=None)
    make: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    orientation: Mapped[int] = mapped_column(Integer, default=1)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    file_modified_at: Mapped[datetime | None] = mapped_column(default=None)
    file_created_at: Mapped[datetime | None] = mapped_column(default=None)
    imported_by: Mapped[str] = mapped_column(String(200), default="")
    device_id: Mapped[str] = mapped_column(String(36))
    imported_at: Mapped[datetime]
    import_note: Mapped[str] = mapped_column(Text, default="")  # e.g. "cannot be shown"
    # What the responder adds.
    caption: Mapped[str] = mapped_column(Text, default="")
    shows: Mapped[str] = mapped_column(Text, default="")
    supports: Mapped[str] = mapped_column(Text, default="")  # IP right id or claim feature
    hall: Mapped[str] = mapped_column(String(100), default="")
    booth: Mapped[str] = mapped_column(String(100), default="")
    notary_present: Mapped[bool] = mapped_column(Boolean, default=False)
    witness_present: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Annotated copies point at their original; ``derivation`` says how (crop, arrows, ...).
    derived_from: Mapped[str | None] = mapped_column(
        ForeignKey("evidence_item.id"), default=None, index=True
    )
    derivation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hidden_at: Mapped[datetime | None] = mapped_column(default=None)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    purged_at: Mapped[datetime | None] = mapped_column(default=None)
    # Local integrity flag from the last check, a vocab.Integrity value (never synced).
    integrity: Mapped[str] = mapped_column(String(10), default=Integrity.OK.value)
    integrity_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_evidence_case_sha", "case_id", "sha256"),)


class CustodyEvent(Base):
    """One entry of a device's custody log; never updated or deleted."""

    __tablename__ = "custody_event"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... per device
    action: Mapped[str] = mapped_column(String(30))  # a vocab.CustodyAction value
    item_sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    item_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    case_id: Mapped[str] = mapped_column(String(36), default="", index=True)
    actor: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC text, exactly as hashed
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("device_id", "seq", name="uq_custody_device_seq"),)


class InboxFile(Base):
    """Local cache for the inbox folder: which file (by path, size, mtime) has which hash."""

    __tablename__ = "evidence_inbox_file"
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
