"""Time helpers: everything is stored in UTC; time zones are IANA names checked against tzdata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from fairdesk.errors import ValidationError
from fairdesk.i18n import _


def utcnow() -> datetime:
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or a ValidationError a responder can read."""
    if not name or ("/" not in name and name != "UTC"):
        raise ValidationError(_("Unknown time zone: {name}").format(name=name or "—"))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone: {name}").format(name=name)) from exc


def is_valid_zone(name: str) -> bool:
    try:
        zone(name)
    except ValidationError:
        return False
    return True


def all_zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


def as_utc(moment: datetime) -> datetime:
    """Normalise an aware datetime to UTC; naive datetimes are refused (ambiguous)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: attach a time zone first")
    return moment.astimezone(UTC)


def parse_instant(text: str, default_zone: str = "UTC") -> datetime:
    """Parse ISO 8601 text; a time without an offset is read in ``default_zone``."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(
            _("Not a valid date and time: {text} (use e.g. 2026-03-05 18:00)").format(text=text)
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(default_zone))
    return value.astimezone(UTC)


def format_countdown(delta: timedelta) -> str:
    """'5h 03m' or '2d 04h' style countdown; negative deltas are shown as overdue by caller."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours:02d}h"
    return f"{hours}h {minutes:02d}m"
