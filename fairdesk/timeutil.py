"""Time helpers: everything is stored in UTC; time zones are IANA names checked against tzdata.

Every time a person reads says its zone, written one way everywhere (``format_local``):
the zone's abbreviation where it is unambiguous ("CET", "JST"), "Beijing time" for China's
zone, and the UTC offset ("UTC+04:00") where tzdata has no letters or the letters name more
than one zone ("CST" is China, Cuba and the US Midwest; "IST" India, Ireland and Israel).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
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


# Abbreviations tzdata gives to more than one zone: shown as an offset instead.
AMBIGUOUS_ABBREVIATIONS = frozenset({"CST", "CDT", "IST", "BST", "AST", "ADT", "SST", "GST", "AMT"})
BEIJING_ZONES = frozenset(
    {"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"}
)


def offset_label(local: datetime) -> str:
    """``UTC+08:00`` / ``UTC-05:00`` / ``UTC`` for an aware datetime."""
    offset = local.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_label(local: datetime, tz_name: str = "") -> str:
    """How the zone of ``local`` is written next to the time (see the module docstring)."""
    if tz_name in BEIJING_ZONES:
        return _("Beijing time")
    name = local.tzname() or ""
    if tz_name == "UTC" or name == "UTC":
        return "UTC"
    if not name.isalpha() or name.upper() in AMBIGUOUS_ABBREVIATIONS:
        return offset_label(local)
    return name


def format_local(moment: datetime | None, where: str | tzinfo | None, *, year: bool = True) -> str:
    """``2026-11-25 18:00 CET`` in an IANA zone (or a tzinfo; None = this computer's zone),
    ``11-25 18:00 CET`` without the year; '' for None."""
    if moment is None:
        return ""
    if isinstance(where, str):
        local, tz_name = moment.astimezone(zone(where or "UTC")), where or "UTC"
    else:
        local, tz_name = moment.astimezone(where), ""
        if where is None:  # the computer's own zone has letters only: show its offset
            shown = local.strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")
            return f"{shown} {offset_label(local)}"
    shown = local.strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")
    return f"{shown} {zone_label(local, tz_name)}"
