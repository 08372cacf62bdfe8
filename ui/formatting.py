"""How times, countdowns and enum values are written on screen, in the current language.

Deadlines are shown in the fair's local time and in the user's home time side by side
(docs/architecture.md); countdowns read "in 5h 03m" or "overdue by 2h 10m".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from fairdesk.enums import LABELS
from fairdesk.i18n import _
from fairdesk.timeutil import format_local


def label(value: StrEnum | None) -> str:
    """The translated label of an enum member (direction, status, level, ...)."""
    if value is None:
        return ""
    return _(LABELS.get(value, str(value.value)))


def local_time(moment: datetime | None, tz_name: str, *, year: bool = True) -> str:
    """``2026-11-25 18:00 CET`` (or ``11-25 18:00 CET``) in the given IANA zone; '' for None.
    The zone is always written, never an ambiguous "CST" (``fairdesk.timeutil.format_local``)."""
    return format_local(moment, tz_name or "UTC", year=year)


def duration(delta: timedelta) -> str:
    """A short duration: ``2d 04h``, ``5h 03m`` or ``12m`` (always positive)."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("{days}d {hours:02d}h").format(days=days, hours=hours)
    if hours:
        return _("{hours}h {minutes:02d}m").format(hours=hours, minutes=minutes)
    return _("{minutes}m").format(minutes=minutes)


def countdown(due: datetime, now: datetime) -> tuple[str, bool]:
    """(text, overdue): ``in 5h 03m`` or ``overdue by 2h 10m``."""
    delta = due - now
    if delta.total_seconds() < 0:
        return _("overdue by {duration}").format(duration=duration(delta)), True
    return _("in {duration}").format(duration=duration(delta)), False
