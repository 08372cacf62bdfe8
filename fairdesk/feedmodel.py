"""Device-side bookkeeping for the read-only feeds HQ publishes (migration 0007).

``sync_feed`` has one row per feed (``alerts``, ``reference``): the cursor up to which the
device has taken HQ's items, and the last problem met while applying them (for example a
malformed reference-library update, rejected as a whole). The problem stays on show in the
sync status until a later item of that feed applies cleanly. Like ``fairdesk.syncmodel``, the
domain core owns the table but never talks to the network.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fairdesk.model import Base

FEEDS = ("alerts", "reference")


class SyncFeed(Base):
    __tablename__ = "sync_feed"
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    error_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
