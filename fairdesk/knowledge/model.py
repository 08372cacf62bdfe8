"""Tables of the knowledge area: applied reference-library versions and HQ risk alerts.

They extend the shared declarative ``Base`` so one database holds everything; the schema is
created by migration ``0005_knowledge`` (written by hand, like the others).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairdesk.model import Base


class LibraryVersion(Base):
    """One reference-library version applied on this device (the shipped one is not listed)."""

    __tablename__ = "kb_library_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    library_version: Mapped[int] = mapped_column(Integer, unique=True)
    edition: Mapped[str] = mapped_column(String(100))
    schema_version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[str] = mapped_column(String(40), default="")
    applied_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))
    entry_count: Mapped[int] = mapped_column(Integer)
    previous_version: Mapped[int] = mapped_column(Integer)
    changes: Mapped[dict[str, Any]] = mapped_column(
        JSON
    )  # {"added": [...], "removed": [...], "changed": {...}}


class RiskAlert(Base):
    """A risk reminder letter from HQ, kept on the device; acknowledgement syncs back."""

    __tablename__ = "kb_alert"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))  # red | yellow | blue
    title_en: Mapped[str] = mapped_column(String(300))
    title_zh: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str] = mapped_column(Text)
    text_zh: Mapped[str] = mapped_column(Text)
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    fairs: Mapped[list[str]] = mapped_column(JSON, default=list)
    goods: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[datetime | None] = mapped_column(default=None)
    valid_until: Mapped[datetime | None] = mapped_column(default=None)
    published_at: Mapped[datetime]
    received_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str] = mapped_column(String(200), default="")
